"""Promotions' copy of the catalogue, kept from catalog events (ProductPublished,
VariantPriceChanged, ProductRetired, SellerStaffChanged): what a sale or a deal can target,
and which seller each product belongs to, without reading the catalogue's tables."""

from django.db import models

from flowmart.common.money import AmountField, CurrencyField, Money
from flowmart.common.roles import SellerStaffBase


class CatalogueSeller(models.Model):
    seller_id = models.BigIntegerField(primary_key=True)
    slug = models.CharField(max_length=100)
    seller_name = models.CharField(max_length=200)

    class Meta:
        ordering = ["seller_name"]

    def __str__(self):
        return self.seller_name or self.slug


class CatalogueCategory(models.Model):
    """A category a published product was in (by slug: the catalogue's events name it so).
    A sale on a category covers the products published in exactly that category."""

    slug = models.CharField(max_length=100, primary_key=True)

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "catalogue categories"

    def __str__(self):
        return self.slug


class CatalogueProduct(models.Model):
    product_id = models.BigIntegerField(primary_key=True)
    product_name = models.CharField(max_length=300)
    seller = models.ForeignKey(CatalogueSeller, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(CatalogueCategory, on_delete=models.PROTECT, related_name="products")
    active = models.BooleanField(default=True)
    as_of = models.DateTimeField()

    class Meta:
        ordering = ["product_name"]

    def __str__(self):
        return self.product_name


class CatalogueSku(models.Model):
    sku = models.CharField(max_length=64, primary_key=True)
    product = models.ForeignKey(CatalogueProduct, on_delete=models.PROTECT, related_name="skus")
    variant_name = models.CharField(max_length=300)
    price_amount = AmountField()
    currency = CurrencyField()
    active = models.BooleanField(default=True)
    as_of = models.DateTimeField()
    # The offers last told (SkuSalesChanged), so an unchanged set is not published again.
    published_offers = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = "catalogue SKU"

    def __str__(self):
        return f"{self.sku} ({self.variant_name})"

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.currency)


class SellerStaff(SellerStaffBase):
    """Which sellers each seller-staff user works for: their admin shows and edits only
    those sellers' sales and deals."""

    class Meta(SellerStaffBase.Meta):
        verbose_name_plural = "seller staff"
