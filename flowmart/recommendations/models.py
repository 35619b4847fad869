"""Recommendations state, all kept incrementally from events (never from other contexts' tables):
what is sellable (catalog, inventory), which orders were paid (orders), how often two products
were bought together, and each product's time-decayed trend score."""

from django.db import models
from django.db.models import Q


class Product(models.Model):
    """A product as catalog last published it, with whether it can be sold now: `available`
    is false once retired, or when none of its active SKUs has stock (inventory's levels).
    `trend` is log(Σ quantity · 2^((paid_at − EPOCH) / half-life)) over its paid order lines:
    adding an order is one log-sum-exp, reading the top N is an index scan, and the ranking
    at any moment equals the ranking by decayed count (the decay factor is common to all)."""

    product_id = models.BigIntegerField(primary_key=True)
    product_name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, db_index=False)
    price_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    price_currency = models.CharField(max_length=3, blank=True)
    retired = models.BooleanField(default=False)
    available = models.BooleanField(default=False)
    trend = models.FloatField(null=True, blank=True)
    as_of = models.DateTimeField()

    class Meta:
        verbose_name = "recommended product"
        indexes = [
            models.Index(
                models.F("trend").desc(),
                models.F("product_id"),
                name="recommend_trending_idx",
                condition=Q(available=True, trend__isnull=False),
            )
        ]

    def __str__(self):
        return self.product_name


class Sku(models.Model):
    """A SKU of a product with what inventory last said about its stock."""

    sku = models.CharField(max_length=64, primary_key=True)
    product_id = models.BigIntegerField(null=True, blank=True, db_index=True, help_text="empty: stock known first")
    active = models.BooleanField(default=True)
    available = models.IntegerField(default=0)
    stock_as_of = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.sku


class Order(models.Model):
    """An order's SKUs, remembered from OrderConfirmed/OrderAmended until it is paid; counted
    once (`counted_at`) whichever of OrderConfirmed and OrderStatusChanged → paid comes first."""

    order_id = models.BigIntegerField(primary_key=True)
    lines = models.JSONField(default=dict, help_text="{sku: quantity}")
    confirmed = models.BooleanField(default=False)
    paid_at = models.DateTimeField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"order {self.order_id}"


class CoPurchase(models.Model):
    """How many paid orders held both products; stored in both directions so "bought with X"
    is one index range scan on (product_id, count desc)."""

    product_id = models.BigIntegerField()
    other = models.ForeignKey(Product, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product_id", "other"], name="copurchase_pair_once")]
        indexes = [models.Index(models.F("product_id"), models.F("count").desc(), name="copurchase_top_idx")]

    def __str__(self):
        return f"{self.product_id} + {self.other_id}: {self.count}"
