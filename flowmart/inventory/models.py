"""Inventory state: warehouses, stock per (SKU, warehouse), the movement ledger and
order reservations.

Stock is only ever changed by services.py, which locks the StockLevel rows it touches
(in primary-key order), writes one StockMovement per change and publishes the events
in the same transaction. The CHECK constraints are the last line of defence: whatever
a bug does, the database refuses negative stock or more reserved than on hand.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from flowmart.common.roles import SellerSkuBase, SellerStaffBase


class Warehouse(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2")
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} ({self.country})"


class StockLevel(models.Model):
    """What one warehouse holds of one SKU. `available` is derived, never stored,
    so it cannot drift from on_hand and reserved."""

    sku = models.CharField(max_length=64, db_index=True)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    low_stock_threshold = models.IntegerField(default=5)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sku", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "warehouse"], name="stock_level_once_per_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(
                condition=Q(reserved__lte=models.F("on_hand")), name="stock_reserved_within_on_hand"
            ),
        ]

    def __str__(self):
        return f"{self.sku} @ {self.warehouse_id}: {self.on_hand} on hand, {self.reserved} reserved"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class MovementKind(models.TextChoices):
    RECEIVE = "receive"
    ADJUST = "adjust"
    RESERVE = "reserve"
    RELEASE = "release"
    SHIP = "ship"
    RETURN = "return"
    EXPIRE = "expire"


class StockMovement(models.Model):
    """One line of the append-only ledger. Summing on_hand_delta (reserved_delta) over a
    (sku, warehouse) gives its on_hand (reserved): check_inventory proves it."""

    Kind = MovementKind

    kind = models.CharField(max_length=10, choices=MovementKind.choices)
    sku = models.CharField(max_length=64)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    on_hand_delta = models.IntegerField()
    reserved_delta = models.IntegerField()
    on_hand_after = models.IntegerField()
    reserved_after = models.IntegerField()
    reason = models.CharField(max_length=255, blank=True)
    reference = models.CharField(
        max_length=120, blank=True, db_index=True, help_text="order:<id>, return:<id>, user:<id>"
    )
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["sku", "warehouse"], name="movement_sku_warehouse_idx")]

    def __str__(self):
        deltas = f"on_hand{self.on_hand_delta:+d} reserved{self.reserved_delta:+d}"
        return f"{self.kind} {self.sku}@{self.warehouse_id} {deltas}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("stock movements are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("stock movements are append-only")


class Reservation(models.Model):
    """Units of one SKU held in one warehouse for one order (or for one amendment of it).

    `quantity` is what the reservation holds while open or paid; when it ends (consumed,
    released, expired) it keeps what it held at that moment. reserved on a StockLevel always
    equals the sum of quantity over its open and paid reservations."""

    class Status(models.TextChoices):
        OPEN = "open"
        PAID = "paid"
        CONSUMED = "consumed"
        RELEASED = "released"
        EXPIRED = "expired"

    ACTIVE = (Status.OPEN, Status.PAID)

    order_id = models.BigIntegerField(db_index=True)
    sku = models.CharField(max_length=64)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField(null=True, blank=True)
    amendment_id = models.CharField(max_length=64, null=True, blank=True)
    destination_country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            # One row per (order, sku, warehouse) for the order itself and per amendment of it.
            models.UniqueConstraint(
                fields=["order_id", "sku", "warehouse"],
                condition=Q(amendment_id__isnull=True),
                name="reservation_once_per_order_line_warehouse",
            ),
            models.UniqueConstraint(
                fields=["order_id", "sku", "warehouse", "amendment_id"],
                name="reservation_once_per_amendment_line_warehouse",
            ),
        ]
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="open"), name="reservation_open_expiry_idx"),
        ]

    def __str__(self):
        return f"order {self.order_id}: {self.quantity} × {self.sku} @ {self.warehouse_id} ({self.status})"


class ClosedOrder(models.Model):
    """An order inventory was told to release. A late OrderConfirmed for it must not
    reserve stock that nobody will ever pay for or ship (out-of-order delivery)."""

    order_id = models.BigIntegerField(unique=True)
    reason = models.CharField(max_length=50, blank=True)
    closed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"order {self.order_id} closed ({self.reason})"


# --- Projections for scoping staff to their sellers (fed by catalog events) ------------


class SellerStaff(SellerStaffBase):
    """Which sellers each seller-staff user works for (SellerStaffChanged)."""

    class Meta(SellerStaffBase.Meta):
        verbose_name_plural = "seller staff"


class SellerSku(SellerSkuBase):
    """Which seller sells each SKU (ProductPublished): seller staff receive, adjust and
    list stock of their own SKUs only."""

    class Meta(SellerSkuBase.Meta):
        verbose_name = "seller SKU"
