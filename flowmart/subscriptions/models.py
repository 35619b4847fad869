"""Subscribe & Save: plans, subscriptions, their renewal cycles and billing attempts, and the
projections this context keeps from other contexts' events (variants, addresses, seller staff).

The calendar lives in `calendar.py`: cycle n is billed at anchor + (n − anchor_cycle) intervals
in the customer's time zone, so periods are contiguous by construction. A subscription's
`next_cycle` / `next_billing_at` move on only when a cycle is emitted (billing run, ship now,
skip), never when it is paid: a dunning success cannot extend the period a second time.
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from flowmart.common.money import AmountField, CurrencyField, Money
from flowmart.common.roles import SellerStaffBase

HUNDRED = Decimal(100)


class Variant(models.Model):
    """Subscriptions' copy of a sellable variant (ProductPublished, VariantPriceChanged, ProductRetired)."""

    sku = models.CharField(max_length=64, unique=True)
    product_id = models.BigIntegerField(db_index=True)
    product_name = models.CharField(max_length=300)
    name = models.CharField(max_length=300)
    price = AmountField()
    currency = CurrencyField()
    seller_id = models.BigIntegerField(db_index=True)
    active = models.BooleanField(default=True)
    as_of = models.DateTimeField()

    def __str__(self):
        return f"{self.sku} ({self.name})"

    @property
    def money(self) -> Money:
        return Money(self.price, self.currency)


class CustomerAddress(models.Model):
    """Subscriptions' copy of the address book (CustomerAddressSaved/Deleted), for shipping_address_id."""

    address_id = models.BigIntegerField(unique=True)
    customer_id = models.BigIntegerField(db_index=True)
    address = models.JSONField()
    deleted = models.BooleanField(default=False)

    def __str__(self):
        return f"address {self.address_id} of customer {self.customer_id}"


class ShippingMethod(models.Model):
    """Subscriptions' copy of the shipping method codes (ShippingRatesPublished, a whole snapshot):
    a subscription may only name a method that exists, as checkout does."""

    code = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    revision = models.PositiveIntegerField()

    def __str__(self):
        return self.code


class SellerStaff(SellerStaffBase):
    """Which sellers each seller-staff user works for: they see subscriptions of their products."""

    class Meta(SellerStaffBase.Meta):
        verbose_name_plural = "seller staff"


class Plan(models.Model):
    class Interval(models.TextChoices):
        DAY = "day"
        WEEK = "week"
        MONTH = "month"

    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, db_index=True, help_text="the variant delivered every cycle")
    product_id = models.BigIntegerField(db_index=True, editable=False, help_text="filled from the SKU")
    seller_id = models.BigIntegerField(db_index=True, editable=False, default=0)
    interval = models.CharField(max_length=5, choices=Interval.choices, default=Interval.MONTH)
    interval_count = models.PositiveSmallIntegerField(default=1)
    discount_percent = models.PositiveSmallIntegerField(default=0)
    min_cycles = models.PositiveSmallIntegerField(null=True, blank=True, help_text="paid cycles before cancelling")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(discount_percent__lte=90), name="plan_discount_lte_90"),
            models.CheckConstraint(condition=Q(interval_count__gte=1), name="plan_interval_count_gte_1"),
        ]

    def __str__(self):
        return self.name

    def describe(self) -> str:
        unit = self.interval if self.interval_count == 1 else f"{self.interval_count} {self.interval}s"
        return f"every {unit}, {self.discount_percent} % off"


class Subscription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        PAUSED = "paused"
        PAST_DUE = "past_due"
        CANCELLED = "cancelled"

    customer_id = models.BigIntegerField(db_index=True)
    customer_email = models.EmailField()
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    quantity = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    time_zone = models.CharField(max_length=64, default="UTC")
    anchor_at = models.DateTimeField(help_text="the first billing moment: the calendar's anchor")
    anchor_cycle = models.IntegerField(default=1, help_text="the cycle billed at anchor_at (moves on resume)")
    next_cycle = models.PositiveIntegerField(default=2)
    next_billing_at = models.DateTimeField()
    paused_until = models.DateTimeField(null=True, blank=True)
    reminded_cycle = models.PositiveIntegerField(default=0, help_text="the last cycle a reminder was sent for")
    shipping_address = models.JSONField()
    shipping_method = models.CharField(max_length=50)
    provider = models.CharField(max_length=20)
    payment_method = models.CharField(max_length=100)
    cancellation_reason = models.CharField(max_length=30, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The billing run's due set, walked customer by customer.
            models.Index(fields=["customer_id", "next_billing_at"], condition=Q(status="active"), name="sub_due_idx"),
            # The reminders' window (next_billing_at within REMINDER_DAYS).
            models.Index(fields=["next_billing_at"], condition=Q(status="active"), name="sub_next_billing_idx"),
            models.Index(fields=["paused_until"], condition=Q(status="paused"), name="sub_pause_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="sub_quantity_gte_1")]

    def __str__(self):
        return f"subscription {self.pk} ({self.status})"


class IdempotencyKey(models.Model):
    """One subscription per (customer, Idempotency-Key); the row lock serialises twins."""

    customer_id = models.BigIntegerField()
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    subscription = models.ForeignKey(Subscription, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer_id", "key"], name="sub_idempotency_key_once")]

    def __str__(self):
        return self.key


class Renewal(models.Model):
    """One cycle of one subscription. The unique (subscription, cycle) is what makes a billing
    run exactly-once, whatever runs overlap: the row is inserted ON CONFLICT DO NOTHING and
    only an inserted row is billed."""

    class Status(models.TextChoices):
        BILLING = "billing"  # an attempt is out (order placed, charge pending)
        PAID = "paid"
        PAST_DUE = "past_due"  # payment failed: dunning
        STOCK_SHORT = "stock_short"  # retried on the next runs, then skipped
        SKIPPED = "skipped"
        CANCELLED = "cancelled"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="renewals")
    cycle = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BILLING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField(null=True, blank=True, help_text="dunning ends (cancel) at this moment")
    failure_code = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=100, blank=True, help_text="why it was skipped or cancelled")
    order_id = models.BigIntegerField(null=True, blank=True, help_text="the latest attempt's order")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["subscription_id", "cycle"]
        constraints = [models.UniqueConstraint(fields=["subscription", "cycle"], name="one_renewal_per_cycle")]
        indexes = [
            models.Index(
                fields=["next_retry_at"], condition=Q(status__in=["past_due", "stock_short"]), name="renewal_retry_idx"
            ),
            models.Index(fields=["give_up_at"], condition=Q(status="past_due"), name="renewal_give_up_idx"),
        ]

    def __str__(self):
        return f"subscription {self.subscription_id} cycle {self.cycle} ({self.status})"


class RenewalBatch(models.Model):
    """One renewal order: the renewals of one customer due the same day to the same address
    and card, billed together. Its key (`renewal_key`) names the order orders makes."""

    customer_id = models.BigIntegerField(db_index=True)
    kind = models.CharField(max_length=12, default="cycle")  # first | cycle | retry | ship_now
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    outcome = models.CharField(max_length=20, default="placed")  # placed | paid | failed | out_of_stock | cancelled
    failure_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "renewal batches"

    def __str__(self):
        return self.key

    @property
    def key(self) -> str:
        return key_of(self.pk)


def key_of(batch_id: int) -> str:
    return f"subs-{batch_id}"


class RenewalAttempt(models.Model):
    """Each billing attempt of a renewal (the first, every dunning or stock retry): visible in the admin."""

    renewal = models.ForeignKey(Renewal, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveSmallIntegerField()
    batch = models.ForeignKey(RenewalBatch, on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(max_length=20, default="pending")  # pending | paid | failed | out_of_stock | cancelled
    failure_code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["renewal_id", "number"]
        constraints = [models.UniqueConstraint(fields=["renewal", "number"], name="one_attempt_per_number")]

    def __str__(self):
        return f"attempt {self.number} of {self.renewal}"


class StaffAction(models.Model):
    """Who paused, resumed or cancelled a subscription from the back office, when and why:
    the services record nothing of the kind, and Django's admin log does not see them."""

    class Kind(models.TextChoices):
        PAUSE = "pause"
        RESUME = "resume"
        CANCEL = "cancel"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="staff_actions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    staff = models.CharField(max_length=254, help_text="email of the staff user")
    reason = models.CharField(max_length=500)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.kind} by {self.staff}"
