"""Reviews state: the reviews themselves, the rating summary each product's event is made
from, and the projections that tell who bought what (orders' and shipping's events) and which
seller sells which product (catalog's events). Nothing here reads another context's tables."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from flowmart.common.roles import SellerStaffBase


class CatalogProduct(models.Model):
    """A product as catalog last published it: its seller scopes the seller staff's screens."""

    product_id = models.BigIntegerField(primary_key=True)
    product_name = models.CharField(max_length=200)
    seller_id = models.BigIntegerField(db_index=True)
    as_of = models.DateTimeField()

    def __str__(self):
        return self.product_name


class CatalogSku(models.Model):
    """Which product a SKU belongs to: order lines name SKUs, reviews are per product."""

    sku = models.CharField(max_length=64, primary_key=True)
    product_id = models.BigIntegerField(db_index=True)

    def __str__(self):
        return f"{self.sku} → {self.product_id}"


class Purchase(models.Model):
    """One order as reviews sees it: whose it is (OrderConfirmed, OrderClaimed) and whether it
    was delivered (OrderStatusChanged → delivered). Events may come in any order, so every
    field is filled by whichever event knows it."""

    order_id = models.BigIntegerField(primary_key=True)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"order {self.order_id}"


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["purchase", "sku"], name="purchase_line_once")]

    def __str__(self):
        return f"{self.purchase_id}: {self.sku}"


class ReviewSellerStaff(SellerStaffBase):
    """Which sellers a staff user works for (SellerStaffChanged): they reply to those sellers' reviews."""


class Review(models.Model):
    """A verified buyer's review. Title and text are kept exactly as written (escaping is the
    renderer's job, never the store's); hiding keeps the review and says who hid it and why."""

    class Status(models.TextChoices):
        VISIBLE = "visible"
        HIDDEN = "hidden"

    product_id = models.BigIntegerField()
    customer_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="empty once the author was erased (CustomerErased)"
    )
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField(max_length=5000, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.VISIBLE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Moderation: new and edited reviews wait in the queue until a moderator looked; a report puts them back.
    needs_moderation = models.BooleanField(default=True)
    reports = models.PositiveIntegerField(default=0)
    last_report_reason = models.CharField(max_length=500, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.CharField(max_length=254, blank=True, help_text="the moderator's email")
    hidden_reason = models.CharField(max_length=500, blank=True)
    # The seller's one public answer.
    reply_text = models.TextField(max_length=5000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.BigIntegerField(null=True, blank=True, help_text="the seller staff user's id")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["product_id", "customer_id"], name="review_once_per_product"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]
        indexes = [
            models.Index(fields=["product_id", "status", "-created_at"], name="review_product_visible_idx"),
            models.Index(fields=["needs_moderation", "created_at"], name="review_queue_idx"),
        ]

    def __str__(self):
        return f"{self.rating}★ {self.title}"


class RatingSummary(models.Model):
    """The last rating published for a product. Its row is locked by every change to the
    product's reviews, so concurrent changes publish in turn with growing revisions."""

    product_id = models.BigIntegerField(primary_key=True)
    average = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    count = models.PositiveIntegerField(default=0)
    revision = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.product_id}: {self.average} ({self.count})"
