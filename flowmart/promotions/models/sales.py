"""Catalogue sales and lightning deals, as staff and sellers schedule them.

The prices shoppers see are applied by catalog and orders from the events these publish
(flowmart/contracts/promotions.py); `status` here is the schedule as the beat job last
moved it, for the back office (reads never depend on it: the window itself decides)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from flowmart.common.money import AmountField, Money

from .catalogue import CatalogueCategory, CatalogueProduct, CatalogueSeller, CatalogueSku


class Schedule(models.TextChoices):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


def schedule_at(starts_at, ends_at, moment=None) -> str:
    moment = moment or timezone.now()
    if moment < starts_at:
        return Schedule.SCHEDULED
    return Schedule.LIVE if moment < ends_at else Schedule.ENDED


class Sale(models.Model):
    """Percent or amount off the regular price of the SKUs it targets, for a window.

    A seller's sale (`seller_id` set) only ever covers that seller's products (all of them
    when it names no target); a marketplace sale (no seller) must name at least one target."""

    name = models.CharField(max_length=200)
    seller_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="the seller running the sale; empty: a marketplace sale"
    )
    percent_off = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
    )
    amount_off = AmountField(null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, blank=True, help_text="of amount_off (prices in others are untouched)")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    enabled = models.BooleanField(default=True, help_text="off: withdrawn, whatever the window")
    products = models.ManyToManyField(CatalogueProduct, blank=True, related_name="sales")
    categories = models.ManyToManyField(CatalogueCategory, blank=True, related_name="sales")
    sellers = models.ManyToManyField(CatalogueSeller, blank=True, related_name="sales")
    status = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.SCHEDULED, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent_off__isnull=True, amount_off__isnull=False)
                | Q(percent_off__isnull=False, amount_off__isnull=True),
                name="sale_percent_or_amount",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="sale_window_ends_after_start"),
        ]

    def __str__(self):
        return self.name

    @property
    def discount_label(self) -> str:
        if self.percent_off is not None:
            return f"{self.percent_off.normalize():f} % off"
        return f"{Money(self.amount_off, self.currency)} off" if self.amount_off is not None else "—"


class LightningDeal(models.Model):
    """`units` units of one SKU at `price` for a short window. Orders counts the claims
    (atomically, at checkout) and tells `claimed` back through events."""

    sku = models.ForeignKey(CatalogueSku, on_delete=models.PROTECT, related_name="deals", db_constraint=False)
    seller_id = models.BigIntegerField(db_index=True, help_text="the SKU's seller (set from the SKU)")
    price_amount = AmountField(help_text="the deal price per unit, in the SKU's currency")
    currency = models.CharField(max_length=3, editable=False)
    units = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    enabled = models.BooleanField(default=True, help_text="off: withdrawn, whatever the window")
    claimed = models.PositiveIntegerField(default=0, editable=False, help_text="as orders last told it")
    claimed_as_of = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.SCHEDULED, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="deal_window_ends_after_start"),
        ]

    def __str__(self):
        return f"deal {self.pk}: {self.units} × {self.sku_id}"

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.currency)

    @property
    def claimed_percent(self) -> int:
        return min(100, self.claimed * 100 // self.units) if self.units else 100
