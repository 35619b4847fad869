"""Shipping state: the rate table, shipping's projection of orders, shipments with
their tracking log, and returns.

Other contexts are known only by plain ids and by what their events said
(ShippingOrder, OrderAllocation): shipping never reads another context's tables.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from flowmart.common.money import AmountField, CurrencyField, Money
from flowmart.common.roles import SellerSkuBase, SellerStaffBase

REST_OF_WORLD = "*"


def normalise_countries(countries) -> list[str]:
    """Upper-case, de-duplicated, in the order given."""
    if isinstance(countries, str):
        countries = countries.replace(",", " ").split()
    seen: list[str] = []
    for country in countries or ():
        code = str(country).strip().upper()
        if code and code not in seen:
            seen.append(code)
    return seen


# --- Rate table -------------------------------------------------------------


class ShippingMethod(models.Model):
    """What a customer picks at checkout ("standard", "express"), served by one carrier adapter."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    # Which codes are allowed is the adapters' rule (carriers.refusal), checked by the rate service
    # and the admin form, not by clean(): the adapters read this table, so the model stays below them.
    carrier = models.CharField(
        max_length=30, help_text="Carrier adapter code: postal, courier (simulated) or easypost."
    )
    estimated_days = models.PositiveSmallIntegerField()
    active = models.BooleanField(default=True)
    # With carrier "easypost": which of EasyPost's rates to buy; blank = the cheapest offered.
    easypost_carrier = models.CharField(max_length=40, blank=True, help_text='EasyPost carrier, e.g. "USPS".')
    easypost_service = models.CharField(max_length=60, blank=True, help_text='EasyPost service, e.g. "Priority".')

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Zone(models.Model):
    """A set of destination countries priced alike; the zone listing "*" covers every other country."""

    name = models.CharField(max_length=50, unique=True)
    countries = models.JSONField(default=list, help_text='ISO alpha-2 codes, e.g. ["DE", "FR"], or ["*"].')

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.countries = normalise_countries(self.countries)
        super().save(*args, **kwargs)

    def clean(self):
        """Countries must be ISO alpha-2 codes or "*", each priced by one zone only."""
        self.countries = normalise_countries(self.countries)
        bad = [c for c in self.countries if c != REST_OF_WORLD and not (len(c) == 2 and c.isalpha())]
        if bad:
            raise ValidationError({"countries": f"not ISO alpha-2 codes: {', '.join(bad)}"})
        taken = {
            country: zone.name
            for zone in Zone.objects.exclude(pk=self.pk)
            for country in zone.countries
            if country in self.countries
        }
        if taken:
            listed = ", ".join(f"{c} ({z})" for c, z in sorted(taken.items()))
            raise ValidationError({"countries": f"already in another zone: {listed}"})

    @property
    def is_rest_of_world(self) -> bool:
        return REST_OF_WORLD in self.countries


class Rate(models.Model):
    """One row of a method's rate table: parcels up to max_weight_grams into the zone cost price.
    A band may have one price per currency the shop sells in: a cart is quoted the rows in its
    own currency (orders' pricing: `no_rate_in_currency` when there is none)."""

    method = models.ForeignKey(ShippingMethod, on_delete=models.CASCADE, related_name="rates")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="rates")
    max_weight_grams = models.PositiveIntegerField()
    price_amount = AmountField()
    price_currency = CurrencyField(default="USD")

    class Meta:
        ordering = ["method", "zone", "max_weight_grams"]
        constraints = [
            models.UniqueConstraint(
                fields=["method", "zone", "max_weight_grams", "price_currency"], name="rate_band_once_per_currency"
            ),
            models.CheckConstraint(condition=models.Q(price_amount__gte=0), name="rate_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.method.code} → {self.zone.name} ≤ {self.max_weight_grams} g: {self.price}"

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.price_currency)


class RateRevision(models.Model):
    """A single row counting published rate tables, so a late snapshot is recognised as stale."""

    revision = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"rate table revision {self.revision}"


# --- Projection of orders (fed by orders and inventory events) --------------


class ShippingOrder(models.Model):
    """An order as shipping knows it: destination and method from OrderConfirmed, whether
    it was paid (PaymentProcessed) or cancelled (OrderCancelled). Events may arrive in any
    order, so every field starts empty and is filled by whichever event brings it."""

    order_id = models.BigIntegerField(unique=True)
    order_number = models.CharField(max_length=40, blank=True)
    # Whose parcels these are (OrderConfirmed; OrderClaimed when a guest's order finds its
    # account): the customer sees them at GET /shipping/shipments/{id}/. Null for a guest.
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    customer_email = models.EmailField(blank=True)
    shipping_address = models.JSONField(null=True, blank=True)
    shipping_method = models.CharField(max_length=30, blank=True)
    lines = models.JSONField(default=list, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"order {self.order_number or self.order_id}"


class OrderAllocation(models.Model):
    """Where inventory reserved an order's SKU (InventoryAdjusted reason "reserved").
    `source` is the amendment id, or "" for the checkout reservation."""

    order_id = models.BigIntegerField(db_index=True)
    source = models.CharField(max_length=64, blank=True)
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    warehouse_code = models.CharField(max_length=30)
    warehouse_country = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["order_id", "id"]

    def __str__(self):
        return f"{self.sku} × {self.quantity} @ {self.warehouse_code}"


# --- Shipments ----------------------------------------------------------------


class Shipment(models.Model):
    class Status(models.TextChoices):
        CREATED = "created"
        DISPATCHED = "dispatched"
        IN_TRANSIT = "in_transit"
        DELIVERED = "delivered"
        DELIVERY_FAILED = "delivery_failed"
        VOIDED = "voided"

    order_id = models.BigIntegerField(db_index=True)
    warehouse_code = models.CharField(max_length=30)
    warehouse_country = models.CharField(max_length=2, blank=True)
    method = models.CharField(max_length=30)
    carrier = models.CharField(max_length=30)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    tracking_number = models.CharField(max_length=40, unique=True)
    label = models.FileField(upload_to="shipping/labels/%Y/%m/", blank=True)
    destination = models.JSONField(default=dict)
    last_location = models.CharField(max_length=200, blank=True)
    # occurred_at of the last carrier update applied: an older update is stale.
    last_tracking_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One parcel per warehouse per order: a redelivered PaymentProcessed cannot add a second.
            models.UniqueConstraint(fields=["order_id", "warehouse_code"], name="one_shipment_per_warehouse"),
        ]

    def __str__(self):
        return f"shipment {self.pk} of order {self.order_id} from {self.warehouse_code} ({self.status})"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["shipment", "sku"], name="shipment_line_per_sku")]

    def __str__(self):
        return f"{self.sku} × {self.quantity}"


class TrackingEvent(models.Model):
    """Every tracking update received (and each staff dispatch), applied or not. The
    (carrier, event_id) key makes a redelivered carrier webhook a no-op."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    carrier = models.CharField(max_length=30)
    event_id = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=Shipment.Status.choices)
    occurred_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    applied = models.BooleanField(default=False, help_text="False when the update was stale or not allowed.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [models.UniqueConstraint(fields=["carrier", "event_id"], name="tracking_event_once")]

    def __str__(self):
        return f"{self.carrier} {self.event_id}: {self.status}"


# --- Returns ------------------------------------------------------------------


class Return(models.Model):
    class Status(models.TextChoices):
        INITIATED = "initiated"
        RECEIVED = "received"

    return_id = models.CharField(max_length=64, unique=True)
    order_id = models.BigIntegerField(db_index=True)
    lines = models.JSONField(default=list, help_text="[{sku, quantity}] as the customer asked.")
    reason = models.CharField(max_length=200, blank=True)
    sender_address = models.JSONField(default=dict, help_text="The customer's address the parcel leaves from.")
    warehouse_code = models.CharField(max_length=30, blank=True, help_text="Where the parcel is sent back to.")
    carrier = models.CharField(max_length=30)
    tracking_number = models.CharField(max_length=40, unique=True)
    label = models.FileField(upload_to="shipping/returns/%Y/%m/", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INITIATED)
    received_lines = models.JSONField(default=list, blank=True, help_text="[{sku, quantity, warehouse_code}]")
    created_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"return {self.return_id} of order {self.order_id} ({self.status})"

    @property
    def skus(self) -> set[str]:
        return {line["sku"] for line in self.lines}


class ReturnSku(models.Model):
    """The SKUs a return holds, one row each, so staff lists can be scoped to a seller's
    SKUs in SQL (`Return.lines` stays the record of what the customer asked)."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="sku_rows")
    sku = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ret", "sku"], name="return_sku_once")]

    def __str__(self):
        return self.sku


# --- Projections for scoping staff to their sellers (fed by catalog events) ------------


class SellerStaff(SellerStaffBase):
    """Which sellers each seller-staff user works for (SellerStaffChanged)."""

    class Meta(SellerStaffBase.Meta):
        verbose_name_plural = "seller staff"


class SellerSku(SellerSkuBase):
    """Which seller sells each SKU (ProductPublished): seller staff see parcels holding
    their SKUs and handle those holding nothing else."""

    class Meta(SellerSkuBase.Meta):
        verbose_name = "seller SKU"


class SkuWeight(models.Model):
    """Shipping's copy of each SKU's weight (from ProductPublished): a real carrier prices and
    labels a parcel by what it weighs. `as_of` lets a late, older event lose."""

    sku = models.CharField(max_length=64, unique=True)
    weight_grams = models.PositiveIntegerField(default=0)
    as_of = models.DateTimeField()

    def __str__(self):
        return f"{self.sku}: {self.weight_grams} g"


class CarrierParcel(models.Model):
    """What a real carrier's API said about a parcel we bought a label for (EasyPost: its
    shipment and tracker ids, the service and price paid, the public tracking page)."""

    carrier = models.CharField(max_length=30)
    tracking_number = models.CharField(max_length=40, unique=True)
    provider_shipment_id = models.CharField(max_length=64)
    provider_tracker_id = models.CharField(max_length=64, blank=True)
    service = models.CharField(max_length=100, blank=True, help_text="e.g. USPS Priority")
    rate_amount = AmountField(null=True, blank=True)
    rate_currency = CurrencyField(default="USD")
    public_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.carrier} {self.tracking_number} ({self.service})"
