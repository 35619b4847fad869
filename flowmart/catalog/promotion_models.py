"""The catalogue's projection of promotions (imported by catalog.models): per SKU, the sale
offers (SkuSalesChanged) and lightning deals (LightningDealChanged, with the claimed units
orders reports in DealUnitsClaimed/DealUnitsReleased). One row per SKU, so a product page
reads all of it in one query; windows are applied at read time (catalog/promotions.py)."""

from django.db import models


class SkuPromotion(models.Model):
    sku = models.CharField(max_length=64, primary_key=True)
    offers = models.JSONField(default=list, blank=True)
    offers_as_of = models.DateTimeField(null=True, blank=True)
    # [{deal_id, price: {amount, currency}, units, claimed, starts_at, ends_at, active, as_of, claimed_as_of}]
    deals = models.JSONField(default=list, blank=True)

    def __str__(self):
        return f"{self.sku}: {len(self.offers)} sale(s), {len(self.deals)} deal(s)"
