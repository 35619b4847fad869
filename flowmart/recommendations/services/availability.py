"""What may be recommended: products catalog published and did not retire, with at least
one active SKU in stock (inventory's levels). Kept per product as one boolean, recomputed
from the product's few SKUs whenever an event touches one of them."""

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
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


def apply_sold_out(skus: Iterable[str], as_of: datetime) -> None:
    """These SKUs have nothing left (OutOfStock): the same as a report of zero for each."""
    apply_stock_levels((StockLevel(sku=sku, available=0) for sku in skus), as_of)


def apply_stock_levels(levels: Iterable[StockLevel], as_of: datetime) -> None:
    """Newer reports win per SKU; a SKU heard of before its product is kept until it is published.
    All SKUs in one INSERT … ON CONFLICT DO UPDATE … WHERE (rows in key order: no deadlock),
    PostgreSQL and SQLite alike; it returns only the SKUs this report changed."""
    # One row per SKU (the last report of it, as row by row did), locked in key order: no deadlock.
    levels = sorted({level.sku: level for level in levels}.values(), key=lambda level: level.sku)
    if not levels:
        return
    table = connection.ops.quote_name(Sku._meta.db_table)
    when = connection.ops.adapt_datetimefield_value(as_of)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(levels))
    changed = Sku.objects.raw(
        f"INSERT INTO {table} AS s (sku, active, available, stock_as_of) VALUES {values} "
        "ON CONFLICT (sku) DO UPDATE SET available = excluded.available, stock_as_of = excluded.stock_as_of "
        "WHERE s.stock_as_of IS NULL OR s.stock_as_of <= excluded.stock_as_of RETURNING *",
        [x for level in levels for x in (level.sku, True, level.available, when)],
    )
    refresh(sku.product_id for sku in changed if sku.product_id is not None)


def refresh(product_ids: Iterable[int]) -> None:
    """Recompute `available` of these products (one UPDATE)."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    in_stock = Sku.objects.filter(product_id=OuterRef("product_id"), active=True, available__gt=0)
    Product.objects.filter(product_id__in=ids, retired=False).update(available=Exists(in_stock))
