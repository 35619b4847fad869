"""What reviews keeps of other contexts' events: products and their sellers (catalog),
who bought which SKUs and whether the order was delivered (orders), which sellers a staff
user works for (catalog). Each function is one subscriber's whole work, idempotent."""

from collections.abc import Iterable
from datetime import datetime

from django.db import connection

from flowmart.contracts.catalog import ProductPublished

from ..models import CatalogProduct, CatalogSku, Purchase, PurchaseLine, ReviewSellerStaff


def apply_product_published(ev: ProductPublished) -> None:
    """Upsert the product (unless a newer publication is already kept) and map its SKUs to it."""
    kept = CatalogProduct.objects.select_for_update().filter(product_id=ev.product_id).first()
    if kept is not None and kept.as_of >= ev.occurred_at:
        return
    CatalogProduct.objects.update_or_create(
        product_id=ev.product_id,
        defaults={"product_name": ev.product_name, "seller_id": ev.seller_id, "as_of": ev.occurred_at},
    )
    for variant in ev.variants:
        CatalogSku.objects.update_or_create(sku=variant.sku, defaults={"product_id": ev.product_id})


def apply_seller_staff(user_id: int, seller_ids: Iterable[int], as_of: datetime) -> None:
    ReviewSellerStaff.apply(user_id, seller_ids, as_of)


def _purchase(order_id: int) -> Purchase:
    Purchase.objects.bulk_create([Purchase(order_id=order_id)], ignore_conflicts=True)
    return Purchase.objects.select_for_update().get(order_id=order_id)


def order_placed(order_id: int, customer_id: int | None, skus: Iterable[str]) -> None:
    """OrderConfirmed: the order's SKUs and its customer (None for a guest, until claimed; a
    customer already known, from OrderClaimed, stays). One upsert for the purchase (the row
    locked until commit) and one insert for its lines: one statement on PostgreSQL (the lines'
    insert reads the purchase's RETURNING), two on SQLite."""
    table = connection.ops.quote_name(Purchase._meta.db_table)
    upsert = (
        f"INSERT INTO {table} (order_id, customer_id) VALUES (%s, %s) "
        f"ON CONFLICT (order_id) DO UPDATE SET customer_id = COALESCE({table}.customer_id, excluded.customer_id)"
    )
    skus = sorted(set(skus))
    if connection.vendor == "postgresql" and skus:
        lines = connection.ops.quote_name(PurchaseLine._meta.db_table)
        values = ", ".join(["(%s)"] * len(skus))
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH purchase AS ({upsert} RETURNING order_id) INSERT INTO {lines} (purchase_id, sku) "
                f"SELECT purchase.order_id, v.sku FROM purchase, (VALUES {values}) AS v(sku) ON CONFLICT DO NOTHING",
                [order_id, customer_id, *skus],
            )
        return
    with connection.cursor() as cursor:
        cursor.execute(upsert, [order_id, customer_id])
    PurchaseLine.objects.bulk_create(
        [PurchaseLine(purchase_id=order_id, sku=sku) for sku in skus], ignore_conflicts=True
    )


def order_amended(order_id: int, skus: Iterable[str]) -> None:
    """OrderAmended carries the order's new lines: a SKU amended away was never delivered."""
    purchase = _purchase(order_id)
    skus = set(skus)
    purchase.lines.exclude(sku__in=skus).delete()
    PurchaseLine.objects.bulk_create(
        [PurchaseLine(purchase=purchase, sku=s) for s in sorted(skus)], ignore_conflicts=True
    )


def order_claimed(order_id: int, customer_id: int) -> None:
    """A guest's order now belongs to a customer account: its buyer may review it."""
    purchase = _purchase(order_id)
    purchase.customer_id = customer_id
    purchase.save(update_fields=["customer_id"])


def order_delivered(order_id: int, customer_id: int | None, at: datetime) -> None:
    purchase = _purchase(order_id)
    fields = []
    if purchase.delivered_at is None:
        purchase.delivered_at = at
        fields.append("delivered_at")
    if customer_id is not None and purchase.customer_id != customer_id:
        purchase.customer_id = customer_id
        fields.append("customer_id")
    if fields:
        purchase.save(update_fields=fields)
