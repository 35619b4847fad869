"""Payments, their attempts at the provider, refunds, disputes, fraud assessments,
the saga bookkeeping (which order signals we hold) and the Stripe webhook inbox."""

from decimal import Decimal

from django.db import models
from django.utils import timezone

from flowmart.common.money import AmountField, CurrencyField, Money


class FailureCode(models.TextChoices):
    CARD_DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    AUTHENTICATION_REQUIRED = "authentication_required"
    FRAUDULENT = "fraudulent"
    PROCESSING_ERROR = "processing_error"
    # Hard declines: the bank will not honour this card again (subscriptions stop retrying).
    LOST_CARD = "lost_card"
    STOLEN_CARD = "stolen_card"
    DO_NOT_HONOR = "do_not_honor"
    PICKUP_CARD = "pickup_card"


class Payment(models.Model):
    """One order's payment. Amendment charges are further attempts of the same payment."""

    class Status(models.TextChoices):
        PENDING = "pending"  # PaymentInitiated held, stock not yet reserved
        AWAITING_STOCK = "awaiting_stock"
        PROCESSING = "processing"
        REQUIRES_ACTION = "requires_action"
        ON_HOLD = "on_hold"  # fraud review
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        REFUNDED = "refunded"
        PARTIALLY_REFUNDED = "partially_refunded"
        CANCELLED = "cancelled"

    CHARGEABLE = (Status.PENDING, Status.AWAITING_STOCK, Status.ON_HOLD)
    # Not a column: whether a discount of the order may wait to be posted at the capture. None:
    # not known (ledger.post_discount looks); False: a charge read it under the order's lock and
    # there is none, so its capture in the same transaction skips the look (one statement).
    discount_waiting: bool | None = None
    CAPTURED = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    order_id = models.BigIntegerField(unique=True)
    order_number = models.CharField(max_length=40, blank=True)
    customer_id = models.BigIntegerField(db_index=True, null=True, blank=True)  # None: a guest (see customer_email)
    customer_email = models.EmailField(blank=True)
    customer_since = models.DateTimeField(null=True, blank=True)
    amount = AmountField()
    currency = CurrencyField()
    provider = models.CharField(max_length=20)
    payment_method = models.CharField(max_length=100)
    subscription_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # A subscription renewal order: its key (echoed on PaymentProcessed) and the cycle and
    # attempt that make the provider idempotency key per (subscription, cycle, attempt).
    renewal_key = models.CharField(max_length=64, blank=True)
    renewal_cycle = models.PositiveIntegerField(null=True, blank=True)
    renewal_attempt = models.PositiveIntegerField(null=True, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    shipping_country = models.CharField(max_length=2, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    failure_code = models.CharField(max_length=30, choices=FailureCode.choices, blank=True)
    provider_customer_id = models.CharField(max_length=100, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_country = models.CharField(max_length=2, blank=True)
    card_fingerprint = models.CharField(max_length=100, blank=True, db_index=True)
    next_action_url = models.CharField(max_length=500, blank=True)
    captured_amount = AmountField(default=Decimal(0))
    refunded_amount = AmountField(default=Decimal(0))
    disputed_amount = AmountField(default=Decimal(0))
    correlation_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(captured_amount__gte=0), name="payment_captured_gte_0"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("captured_amount")),
                name="payment_refund_within_capture",
            ),
        ]

    def __str__(self):
        return f"payment {self.pk} for order {self.order_id} ({self.status})"

    def money(self, amount: Decimal | None = None) -> Money:
        return Money(self.amount if amount is None else amount, self.currency)

    @property
    def refundable(self) -> Decimal:
        """What can still go back to the customer: a disputed amount is already with the bank."""
        return self.captured_amount - self.refunded_amount - self.disputed_amount


class PaymentAttempt(models.Model):
    """One charge at the provider. Its idempotency key is derived from what the attempt
    is for (order + purpose), so a retried call, even after a rolled-back transaction,
    reuses the provider's intent instead of charging twice."""

    class Status(models.TextChoices):
        PROCESSING = "processing"
        REQUIRES_ACTION = "requires_action"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    TERMINAL = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="attempts")
    purpose = models.CharField(max_length=20, default="charge")  # charge | amendment
    amendment_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    amount = AmountField()
    currency = CurrencyField()
    off_session = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROCESSING)
    provider_intent_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    provider_charge_id = models.CharField(max_length=100, blank=True)
    failure_code = models.CharField(max_length=30, blank=True)
    captured_amount = AmountField(default=Decimal(0))
    refunded_amount = AmountField(default=Decimal(0))
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"attempt {self.idempotency_key} ({self.status})"


class Refund(models.Model):
    """A refund of part of one attempt's capture. `reference` (the asker's id, e.g. a
    return id) makes it idempotent; a refund spanning two charges has two parts."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.PROTECT, related_name="refunds")
    reference = models.CharField(max_length=200)
    part = models.PositiveSmallIntegerField(default=1)
    amount = AmountField()
    currency = CurrencyField()
    reason = models.CharField(max_length=50)
    source = models.CharField(max_length=20, default="flowmart")  # flowmart | provider (seen in a webhook)
    idempotency_key = models.CharField(max_length=250, unique=True)
    provider_refund_id = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "reference", "part"], name="refund_reference_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_gt_0"),
        ]

    def __str__(self):
        return f"refund {self.reference} {self.amount} {self.currency}"


class Dispute(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    provider_dispute_id = models.CharField(max_length=100, unique=True)
    amount = AmountField()
    currency = CurrencyField()
    reason = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"dispute {self.provider_dispute_id}"


class FraudAssessment(models.Model):
    class Outcome(models.TextChoices):
        ALLOW = "allow"
        REVIEW = "review"
        BLOCK = "block"

    class Decision(models.TextChoices):
        NONE = "", "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="assessments")
    inputs = models.JSONField()
    score = models.PositiveIntegerField()
    reasons = models.JSONField(default=list)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    review_decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decided_by = models.CharField(max_length=150, default="rules")
    decided_at = models.DateTimeField(default=timezone.now)
    decision_reason = models.CharField(max_length=500, blank=True, help_text="why the reviewer decided so")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"assessment {self.pk}: {self.outcome} ({self.score})"


class OrderSignal(models.Model):
    """What payments has heard about an order from other contexts, so a charge waits
    for both PaymentInitiated and the reservation in whatever order they arrive."""

    class Kind(models.TextChoices):
        RESERVED = "reserved"
        OUT_OF_STOCK = "out_of_stock"
        CANCELLED = "cancelled"

    order_id = models.BigIntegerField()
    amendment_id = models.CharField(max_length=64, blank=True, default="")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_id", "amendment_id", "kind"], name="order_signal_once"),
        ]

    def __str__(self):
        return f"order {self.order_id} {self.kind} {self.amendment_id}"


class Amendment(models.Model):
    """OrderAmended as payments sees it: a refund now or a charge once stock is reserved."""

    class Status(models.TextChoices):
        AWAITING_STOCK = "awaiting_stock"
        CHARGED = "charged"
        REFUNDED = "refunded"
        ABSORBED = "absorbed"  # the payment was not captured yet: its amount changed instead
        FAILED = "failed"
        REJECTED = "rejected"  # OutOfStock for the amendment
        IGNORED = "ignored"

    order_id = models.BigIntegerField(db_index=True)
    amendment_id = models.CharField(max_length=64, unique=True)
    old_total = AmountField()
    new_total = AmountField()
    currency = CurrencyField()
    status = models.CharField(max_length=20, choices=Status.choices)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"amendment {self.amendment_id} ({self.status})"


class SavedPaymentMethod(models.Model):
    """A subscription's payment method, set up for off-session renewal charges."""

    subscription_id = models.BigIntegerField(unique=True)
    customer_id = models.BigIntegerField(db_index=True)
    provider = models.CharField(max_length=20)
    payment_method = models.CharField(max_length=100)
    provider_customer_id = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"saved {self.payment_method} for subscription {self.subscription_id}"


class StripeWebhookEvent(models.Model):
    """The raw webhook inbox, deduplicated by Stripe's event id."""

    stripe_event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    raw_body = models.TextField(blank=True, help_text="The exact bytes Stripe signed, kept for audit and disputes.")
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "Stripe webhook event"
        indexes = [
            models.Index(fields=["received_at"], condition=models.Q(processed_at=None), name="webhook_unprocessed")
        ]

    def __str__(self):
        return f"{self.type} {self.stripe_event_id}"


class PaymentUnderReview(Payment):
    """The fraud review queue in the admin (payments on hold)."""

    class Meta:
        proxy = True
        verbose_name = "payment under fraud review"
        verbose_name_plural = "fraud review queue"
