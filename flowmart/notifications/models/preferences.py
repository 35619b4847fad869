"""What customers asked for: how they want to hear from us, where their browsers take push
messages, and which sold-out variants they are waiting for."""

from django.db import models
from django.utils import timezone


class Preference(models.Model):
    """A customer's choices for non-essential messages. No row: the defaults."""

    customer_id = models.BigIntegerField(unique=True)
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=False)
    push = models.BooleanField(default=True)
    categories = models.JSONField(default=dict, blank=True, help_text="{category: on/off}; missing: the default.")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"preferences of customer {self.customer_id}"


class PushSubscription(models.Model):
    """A browser's Web Push subscription (PushSubscription.toJSON()), owned by a customer."""

    customer_id = models.BigIntegerField(db_index=True)
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    gone_at = models.DateTimeField(null=True, blank=True, help_text="When the push service said it no longer exists.")

    def __str__(self):
        return f"push subscription {self.pk} of customer {self.customer_id}"


class BackInStockRequest(models.Model):
    """ "Tell me when it is back": waiting until an InventoryAdjusted shows the SKU available."""

    class Status(models.TextChoices):
        WAITING = "waiting"
        NOTIFIED = "notified"

    customer_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    sku = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_by_event = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer_id", "sku"], condition=models.Q(status="waiting"), name="back_in_stock_waiting_once"
            )
        ]
        indexes = [models.Index(fields=["sku"], condition=models.Q(status="waiting"), name="back_in_stock_sku_idx")]

    def __str__(self):
        return f"customer {self.customer_id} waits for {self.sku} ({self.status})"
