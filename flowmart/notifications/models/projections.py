"""Local copies of what other contexts told us in events: who a customer is and how to
reach them, an order's number and lines, a parcel's tracking link, which seller sells a
SKU. Messages are written from these; no other context's tables are ever read."""

from django.db import models
from django.utils import timezone


class CustomerContact(models.Model):
    """From CustomerRegistered and CustomerContactChanged."""

    customer_id = models.BigIntegerField(unique=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=16, blank=True)
    locale = models.CharField(max_length=8, default="en")
    first_name = models.CharField(max_length=150, blank=True)
    as_of = models.DateTimeField(help_text="Time of the event this copy comes from; older events never win.")

    def __str__(self):
        return f"contact of customer {self.customer_id}"


class OrderCopy(models.Model):
    """From OrderConfirmed, OrderAmended and OrderStatusChanged."""

    order_id = models.BigIntegerField(unique=True)
    number = models.CharField(max_length=40, blank=True)
    customer_id = models.BigIntegerField(null=True)
    email = models.EmailField(blank=True)
    lines = models.JSONField(default=list)
    total = models.JSONField(null=True, help_text="Money as {amount, currency}.")
    shipping_address = models.JSONField(default=dict)
    shipping_method = models.CharField(max_length=50, blank=True)
    status = models.CharField(max_length=20, blank=True)
    cancellation_reason = models.CharField(max_length=30, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"order {self.number or self.order_id}"


class ShipmentCopy(models.Model):
    """From ShipmentCreated / ShipmentDispatched: where the customer tracks the parcel."""

    shipment_id = models.BigIntegerField(unique=True)
    order_id = models.BigIntegerField()
    carrier = models.CharField(max_length=30, blank=True)
    tracking_number = models.CharField(max_length=40, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)

    def __str__(self):
        return f"shipment {self.shipment_id}"


class SellerContact(models.Model):
    """From SellerChanged (and the seller names on ProductPublished)."""

    seller_id = models.BigIntegerField(unique=True)
    slug = models.SlugField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)

    def __str__(self):
        return self.name or f"seller {self.seller_id}"


class ProductCopy(models.Model):
    """From ProductPublished / ProductRetired: what `notify-me` may be asked about."""

    product_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    seller_id = models.BigIntegerField()
    active = models.BooleanField(default=True)

    def __str__(self):
        return self.name


class SkuCopy(models.Model):
    """A variant, its seller, and whether it is in stock as inventory last reported it: the level
    of its last report but a reservation (handlers.py), 0 from OutOfStock. Read as in or out of
    stock only; between two reports, reservations may have taken some of the units it shows."""

    sku = models.CharField(max_length=64, unique=True)
    product_id = models.BigIntegerField(null=True)
    seller_id = models.BigIntegerField(null=True)
    name = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    available = models.IntegerField(null=True, help_text="Summed over warehouses; None: never reported.")
    available_as_of = models.DateTimeField(null=True)

    def __str__(self):
        return self.sku


class SubscriptionCopy(models.Model):
    """From UserSubscriptionStarted: whose subscription it is and what it delivers."""

    subscription_id = models.BigIntegerField(unique=True)
    customer_id = models.BigIntegerField()
    email = models.EmailField(blank=True)
    plan_name = models.CharField(max_length=200, blank=True)
    sku = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField(default=1)

    def __str__(self):
        return f"subscription {self.subscription_id}"


class StockAlert(models.Model):
    """A LowStock or OutOfStock waiting for its seller's next digest."""

    class Kind(models.TextChoices):
        LOW_STOCK = "low_stock"
        OUT_OF_STOCK = "out_of_stock"

    event_id = models.UUIDField()
    kind = models.CharField(max_length=15, choices=Kind.choices)
    sku = models.CharField(max_length=64)
    warehouse_code = models.CharField(max_length=20, blank=True)
    available = models.IntegerField(default=0)
    threshold = models.IntegerField(null=True)
    occurred_at = models.DateTimeField()
    digest_key = models.CharField(max_length=150, blank=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event_id", "sku", "warehouse_code"], name="stock_alert_once")]
        indexes = [models.Index(fields=["occurred_at"], condition=models.Q(digest_key=""), name="stock_alert_open_idx")]

    def __str__(self):
        return f"{self.kind} {self.sku}"


class ReportedDeadDelivery(models.Model):
    """A dead event delivery already told to operations (once per delivery)."""

    delivery_id = models.BigIntegerField(unique=True)
    digest_key = models.CharField(max_length=150)
    reported_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"dead delivery {self.delivery_id}"
