"""Orders' projections of promotions (catalogue sales, lightning deals) and the deal
claims checkout makes. Imported by orders.models, so Django sees them as orders models.

The deal counter lives here, not in promotions, because it must move in the checkout's own
transaction: a conditional UPDATE (claimed + n <= units) claims, a CHECK backs it up."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from flowmart.common.money import AmountField, CurrencyField, Money


class SkuSaleOffers(models.Model):
    """The sale offers of a SKU as promotions last told them (SkuSalesChanged), applied to
    the variant's regular price at read time (contracts.promotions.best_sale), and the
    windows of its deals, so pricing a cart reads this one table unless a deal is live."""

    sku = models.CharField(max_length=64, primary_key=True)
    offers = models.JSONField(default=list)
    as_of = models.DateTimeField(null=True, blank=True, help_text="of the offers (None: none told yet)")
    deals = models.JSONField(default=list, help_text="[{deal_id, starts_at, ends_at, active}] of DealStock")

    class Meta:
        verbose_name_plural = "SKU sale offers"

    def __str__(self):
        return f"{self.sku}: {len(self.offers)} offer(s)"


class DealStock(models.Model):
    """A lightning deal (LightningDealChanged) and its claimed units, counted here."""

    deal_id = models.BigIntegerField(primary_key=True)
    sku = models.CharField(max_length=64, db_index=True)
    price_amount = AmountField()
    currency = CurrencyField()
    units = models.PositiveIntegerField()
    claimed = models.PositiveIntegerField(default=0)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    active = models.BooleanField(default=True)
    as_of = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(claimed__lte=F("units")), name="deal_never_oversold")]

    def __str__(self):
        return f"deal {self.deal_id}: {self.claimed}/{self.units} × {self.sku}"

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.currency)

    def live_at(self, moment) -> bool:
        return self.active and self.starts_at <= moment < self.ends_at


class DealClaim(models.Model):
    """Deal units an order holds; `released_at` set once they came back (cancel, expiry)."""

    deal = models.ForeignKey(DealStock, on_delete=models.PROTECT, related_name="claims")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="deal_claims")
    quantity = models.PositiveIntegerField()
    claimed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "order"], name="one_deal_claim_per_order")]

    def __str__(self):
        return f"{self.quantity} × deal {self.deal_id} for order {self.order_id}"
