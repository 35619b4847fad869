"""What may be recommended: products catalog published and did not retire, with at least
one active SKU in stock (inventory's levels). Kept per product as one boolean, recomputed
from the product's few SKUs whenever an event touches one of them."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Exists, OuterRef

from flowmart.contracts.catalog import ProductPublished
from flowmart.contracts.inventory import StockLevel

from ..models import Product, Sku


def apply_product_published(ev: ProductPublished) -> None:
    kept = Product.objects.select_for_update().filter(product_id=ev.product_id).first()
    if kept is not None and kept.as_of >= ev.occurred_at:
        return
    prices = sorted((v.price.amount, v.price.currency) for v in ev.variants if v.active)
    amount, currency = prices[0] if prices else (None, "")
    Product.objects.update_or_create(
        product_id=ev.product_id,
        defaults={
            "product_name": ev.product_name,
            "slug": ev.slug,
            "price_amount": amount,
            "price_currency": currency,
            "retired": False,
            "as_of": ev.occurred_at,
        },
    )
    for variant in ev.variants:
        Sku.objects.update_or_create(sku=variant.sku, defaults={"product_id": ev.product_id, "active": variant.active})
    refresh([ev.product_id])


def apply_product_retired(product_id: int, at: datetime) -> None:
    Product.objects.filter(product_id=product_id, as_of__lte=at).update(retired=True, available=False, as_of=at)


def apply_stock_levels(levels: Iterable[StockLevel], as_of: datetime) -> None:
    """Newer reports win per SKU; a SKU heard of before its product is kept until it is published."""
    touched = set()
    for level in sorted(levels, key=lambda lv: lv.sku):
        Sku.objects.bulk_create([Sku(sku=level.sku)], ignore_conflicts=True)
        sku = Sku.objects.select_for_update().get(sku=level.sku)
        if sku.stock_as_of is not None and sku.stock_as_of > as_of:
            continue
        sku.available, sku.stock_as_of = level.available, as_of
        sku.save(update_fields=["available", "stock_as_of"])
        if sku.product_id is not None:
            touched.add(sku.product_id)
    refresh(touched)


def refresh(product_ids: Iterable[int]) -> None:
    """Recompute `available` of these products (one UPDATE)."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    in_stock = Sku.objects.filter(product_id=OuterRef("product_id"), active=True, available__gt=0)
    Product.objects.filter(product_id__in=ids, retired=False).update(available=Exists(in_stock))
