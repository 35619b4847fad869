"""State of the orders context: its projections of other contexts, carts, orders.

Projections (SellableVariant, SkuAvailability, ShippingRateTable) are fed only by
events; each row remembers the time of the event that wrote it (`as_of`/revision)
so a late, older copy never overwrites a newer one.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from flowmart.common.countries import is_country_code
from flowmart.common.money import AmountField, CurrencyField, Money
from flowmart.common.roles import SellerStaffBase
from flowmart.contracts.catalog import STANDARD_TAX_CLASS, TAX_CLASSES

from .channels import default_channel_code
from .status import OrderStatus, PaymentStatus


class SellableVariant(models.Model):
    """Orders' copy of a catalogue variant (ProductPublished / VariantPriceChanged / ProductRetired)."""

    sku = models.CharField(max_length=64, primary_key=True)
    product_id = models.BigIntegerField(db_index=True)
    name = models.CharField(max_length=300)
    price_amount = AmountField()
    currency = CurrencyField()
    # Every price of the variant by currency, {"EUR": "12.500", ...}: the default and its price
    # lists (ProductPublished / VariantPriceChanged `prices`). Read through orders.currencies.
    prices = models.JSONField(default=dict, blank=True)
    weight_grams = models.PositiveIntegerField(default=0)
    seller_id = models.BigIntegerField()
    seller_slug = models.CharField(max_length=100, blank=True)
    seller_name = models.CharField(max_length=200, blank=True)
    tax_class = models.CharField(max_length=20, default=STANDARD_TAX_CLASS)  # the product's (ProductPublished)
    active = models.BooleanField(default=True)
    as_of = models.DateTimeField()

    def __str__(self):
        return self.sku

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.currency)


class SkuAvailability(models.Model):
    """Available units per SKU, summed over warehouses (InventoryAdjusted.levels)."""

    sku = models.CharField(max_length=64, primary_key=True)
    available = models.IntegerField()
    as_of = models.DateTimeField()

    class Meta:
        verbose_name_plural = "SKU availability"

    def __str__(self):
        return f"{self.sku}: {self.available}"


class ShippingRateTable(models.Model):
    """The latest ShippingRatesPublished snapshot, kept whole (one row, id=1):
    quoting reads one row, and an older revision is simply not applied."""

    revision = models.PositiveIntegerField()
    methods = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"shipping rates r{self.revision}"


class CustomerAddress(models.Model):
    """Orders' copy of an address-book entry (CustomerAddressSaved/Deleted), so checkout
    can accept a `shipping_address_id` without reading the customers context's tables."""

    address_id = models.BigIntegerField(primary_key=True)
    customer_id = models.BigIntegerField(db_index=True)
    address = models.JSONField()
    deleted = models.BooleanField(default=False)
    as_of = models.DateTimeField()

    class Meta:
        verbose_name_plural = "customer addresses"

    def __str__(self):
        return f"address {self.address_id} of customer {self.customer_id}"


class Cart(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    customer_id = models.BigIntegerField(db_index=True, null=True, blank=True)  # None: a guest's cart
    # A guest's cart is theirs by this secret (X-Cart-Token); a customer's has none.
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    shipping_country = models.CharField(max_length=2, blank=True)
    shipping_method = models.CharField(max_length=50, blank=True)
    # Chosen from settings.SHOP_CURRENCIES (POST/PATCH `currency`); "" when none was chosen:
    # then the cart is in its first line's currency (orders.currencies.of_cart).
    currency = CurrencyField(blank=True, default="")
    shipping_region = models.CharField(max_length=3, blank=True)  # state/province, where tax differs by it
    channel = models.CharField(max_length=30, default=default_channel_code)  # settings.ORDERS_CHANNELS
    # The order this cart became at checkout (then the cart is closed).
    order = models.ForeignKey("Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer_id"], condition=models.Q(status="open"), name="one_open_cart")
        ]

    def __str__(self):
        return f"cart {self.pk} of customer {self.customer_id}"


class CartItem(models.Model):
    """A line of a cart; name and price are read from `variant` on every read."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey(SellableVariant, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["cart", "variant"], name="one_line_per_sku")]

    def __str__(self):
        return f"{self.quantity} × {self.variant_id}"


class IdempotencyKey(models.Model):
    """One checkout attempt per (customer, key). Its row is the lock that makes two
    simultaneous requests with one key produce one order; only committed outcomes exist."""

    customer_id = models.BigIntegerField()
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    order = models.ForeignKey("Order", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer_id", "key"], name="idempotency_key_once")]

    def __str__(self):
        return self.key


class Order(models.Model):
    number = models.CharField(max_length=20, unique=True, null=True)
    customer_id = models.BigIntegerField(db_index=True, null=True, blank=True)  # None: a guest's (until claimed)
    customer_email = models.EmailField(db_index=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    cancellation_reason = models.CharField(max_length=30, null=True, blank=True)
    payment_status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    # The status a payment dispute put on hold; empty unless a dispute holds the order.
    held_from = models.CharField(max_length=20, blank=True)
    # What the customer must do for the payment (3-D Secure): {type, redirect_url | client_secret};
    # null when nothing is asked (PaymentActionRequired sets it, the payment's outcome clears it).
    next_action = models.JSONField(null=True, blank=True)
    currency = CurrencyField()
    subtotal = AmountField()
    shipping = AmountField()
    discount = AmountField(default=0)
    tax = AmountField()
    total = AmountField()
    refunded = AmountField(default=0)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=4, default=0)
    discount_percent = models.PositiveSmallIntegerField(default=0)
    # The sales channel and whether its prices included tax, kept as they were at checkout: `total`
    # is subtotal - discount + shipping (+ tax unless included), and refunds read lines the same way.
    channel = models.CharField(max_length=30, blank=True)
    prices_include_tax = models.BooleanField(default=False)
    shipping_address = models.JSONField()
    shipping_method = models.CharField(max_length=50)
    shipping_carrier = models.CharField(max_length=50, blank=True)
    payment_provider = models.CharField(max_length=20)
    subscription_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    renewal_cycle = models.PositiveIntegerField(null=True, blank=True)
    # A renewal order: the key of its SubscriptionRenewalDue (one order per key, checked by the
    # database); its lines name each (subscription, cycle, attempt) they bill.
    renewal_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return self.number or f"order {self.pk}"

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)

    @property
    def totals(self) -> dict[str, Money]:
        return {name: self.money(name) for name in ("subtotal", "shipping", "discount", "tax", "total")}


class OrderLine(models.Model):
    """A snapshot of what was bought at what price. `discount` and `tax` are this line's
    share of the order's, so a partial return refunds exactly what was paid for it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField()
    unit_price = AmountField()
    # The regular price when a catalogue sale or lightning deal set unit_price (else None),
    # and which one: {"kind": "sale"|"deal", "id", "name", "ends_at"} (orders/promotions.py).
    original_unit_price = AmountField(null=True, blank=True)
    sale = models.JSONField(null=True, blank=True)
    discount = AmountField(default=0)
    tax = AmountField(default=0)
    weight_grams = models.PositiveIntegerField(default=0)
    seller_id = models.BigIntegerField()
    seller_slug = models.CharField(max_length=100, blank=True)
    seller_name = models.CharField(max_length=200, blank=True)
    returned_quantity = models.PositiveIntegerField(default=0)
    subscription_id = models.BigIntegerField(null=True, blank=True)
    renewal_cycle = models.PositiveIntegerField(null=True, blank=True)
    renewal_attempt = models.PositiveIntegerField(null=True, blank=True)
    # A renewal line's plan discount, kept so an amendment re-prices the line at it again
    # (a grouped renewal mixes plans; the amount alone, rounded to cents, cannot say it).
    # None: the line takes the order's discount_percent.
    discount_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    # How `tax` was found: the product's class, and the rate and its name the tax provider applied.
    tax_class = models.CharField(max_length=20, default=STANDARD_TAX_CLASS)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    tax_name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One order line per billing attempt of a subscription's cycle, whatever runs twice.
            models.UniqueConstraint(
                fields=["subscription_id", "renewal_cycle", "renewal_attempt"], name="one_line_per_renewal_attempt"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.sku}"


class OrderTimelineEntry(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    event = models.CharField(max_length=300)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "order timeline entries"
        indexes = [models.Index(fields=["at"], name="timeline_at_idx")]  # the dashboard's last hour

    def __str__(self):
        return self.event


class OrderShipment(models.Model):
    """Orders' view of one shipment (Shipment* events), keyed by shipping's id."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    shipment_id = models.BigIntegerField(unique=True)
    status = models.CharField(max_length=20)
    warehouse = models.CharField(max_length=50, blank=True)
    carrier = models.CharField(max_length=50, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    skus = models.JSONField(default=list, blank=True, help_text="the SKUs in the parcel (ShipmentCreated)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"shipment {self.shipment_id} ({self.status})"


class OrderTrackingEvent(models.Model):
    """One step of a parcel as the customer follows it (dispatched, in transit at a place,
    delivered, delivery failed), from shipping's events; each event is written once (inbox)."""

    shipment = models.ForeignKey(OrderShipment, on_delete=models.CASCADE, related_name="tracking_events")
    status = models.CharField(max_length=20)
    place = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.status} {self.place} {self.at}"


class OrderAmendment(models.Model):
    """An amendment waiting for inventory's answer; keeps the lines it replaced so an
    OutOfStock for it can put the order back as it was."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPLIED = "applied"
        REVERTED = "reverted"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="amendments")
    amendment_id = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    previous_lines = models.JSONField()
    previous_totals = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.amendment_id


class OrderReturn(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested"
        INITIATED = "initiated"
        RECEIVED = "received"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    return_id = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    lines = models.JSONField()  # [{"sku", "quantity"}]
    reason = models.CharField(max_length=500)
    tracking_number = models.CharField(max_length=100, blank=True)
    label_url = models.URLField(blank=True)
    refund_amount = AmountField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.return_id


class StaffAction(models.Model):
    """Who did what to an order from the back office, when and why. Django's admin log does
    not see what services do, and refunds and cancellations must be answerable for.
    `token` is the form's one-time key: a double submit finds its row and does nothing."""

    class Kind(models.TextChoices):
        CANCEL = "cancel"
        REFUND = "refund"
        RELEASE_HOLD = "release_hold"
        RESEND_NOTIFICATION = "resend_notification", "Resend a notification"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="staff_actions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    staff = models.CharField(max_length=254, help_text="email of the staff user")
    reason = models.CharField(max_length=500)
    amount = AmountField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    token = models.CharField(max_length=64, unique=True)
    settled = models.BooleanField(default=False, help_text="refunds: payments said it is done (PaymentRefunded)")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.kind} by {self.staff}"


class SellerStaff(SellerStaffBase):
    """Which sellers each seller-staff user works for (SellerStaffChanged): their admin
    shows the order lines of those sellers (OrderLine.seller_id) and nothing else."""

    class Meta(SellerStaffBase.Meta):
        verbose_name_plural = "seller staff"


class TaxRate(models.Model):
    """A tax rate operations enter: per destination country, optionally one region of it (a US
    state, a Canadian province; "" = the whole country), and per product tax class. The rates
    table provider (tax.RatesTableProvider) prefers the region's row, then the country's."""

    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. US")
    region = models.CharField(
        max_length=3, blank=True, help_text="ISO 3166-2 part after the country, e.g. CA; empty: the whole country"
    )
    tax_class = models.CharField(max_length=20, choices=TAX_CLASSES, default=STANDARD_TAX_CLASS)
    rate = models.DecimalField(max_digits=6, decimal_places=4, help_text="a fraction: 0.19 is 19 %")
    name = models.CharField(max_length=100, help_text="shown to customers per rate, e.g. 'VAT 19%', 'CA sales tax'")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country", "region", "tax_class"]
        constraints = [
            models.UniqueConstraint(fields=["country", "region", "tax_class"], name="one_tax_rate_per_place_and_class"),
            models.CheckConstraint(condition=models.Q(rate__gte=0, rate__lt=1), name="tax_rate_is_a_fraction"),
        ]

    def __str__(self):
        place = f"{self.country}-{self.region}" if self.region else self.country
        return f"{place} {self.tax_class}: {self.name}"

    def clean(self):
        self.country, self.region = self.country.strip().upper(), self.region.strip().upper()
        if not is_country_code(self.country):
            raise ValidationError({"country": "Not an ISO 3166-1 alpha-2 country code."})
        if self.region and not self.region.isalnum():
            raise ValidationError({"region": "Letters and digits only (ISO 3166-2 part after the country, e.g. CA)."})


# Vouchers: their copy, counters, cart codes and redemptions (kept in their own module).
from .promotion_models import DealClaim, DealStock, SkuSaleOffers  # noqa: E402, F401  (sales and deals)
from .voucher_models import CartVoucher, ProductCategory, RedeemableVoucher, VoucherRedemption  # noqa: E402, F401
