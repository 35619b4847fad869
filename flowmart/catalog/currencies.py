"""Prices in the currency a shopper asked for (`?currency=` on the product API): each
variant's explicit price in that currency, never a conversion. A variant has a price in a
currency when its price list has an entry for it (VariantPrice) or when its default price
is in it; otherwise it is not sold in that currency and the storefront leaves it out.
docs/currency.md."""

from django.db.models import Case, CharField, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from flowmart.common.money import AmountField, Money

from .models import Product, Variant, VariantPrice


def price_in(currency: str, variant: str = "pk"):
    """SQL: the variant's amount in `currency` (its price-list entry, else its default price
    when that is in `currency`), NULL when it has none. `variant` is the variant id's column."""
    listed = VariantPrice.objects.filter(variant=OuterRef(variant), currency=currency).values("amount")[:1]
    default = Case(When(price_currency=currency, then=F("price_amount")), default=None, output_field=AmountField())
    return Coalesce(Subquery(listed, output_field=AmountField()), default)


def priced_variants(currency: str, **filters) -> QuerySet[Variant]:
    """Variants sold in `currency`, each annotated with `listed_price` (the amount in it)."""
    variants = Variant.objects.filter(**filters).annotate(listed_price=price_in(currency))
    return variants.filter(listed_price__isnull=False)


def with_cheapest_in(products: QuerySet[Product], currency: str) -> QuerySet[Product]:
    """Products with an active variant sold in `currency`, annotated as storefront_products
    annotates them (`price_amount`, `price_currency`) with the cheapest such price."""
    cheapest = priced_variants(currency, product=OuterRef("pk"), active=True).order_by("listed_price", "id")
    return products.filter(pk__in=priced_variants(currency, active=True).values("product_id")).annotate(
        price_amount=Subquery(cheapest.values("listed_price")[:1], output_field=AmountField()),
        price_currency=Value(currency, output_field=CharField()),
    )


def show_in(product: Product, currency: str) -> Product:
    """The product's prefetched variants as sold in `currency`: those without a price in it
    are left out, the others show that price (in memory only, never saved)."""
    variants = [v for v in product.variants.all() if v.listed_price is not None]
    for variant in variants:
        variant.price = Money(variant.listed_price, currency)
    product._prefetched_objects_cache["variants"] = variants
    return product
