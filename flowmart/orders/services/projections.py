"""Keep orders' copies of catalogue, stock and shipping-rate data current.

Each write is conditional on the event being at least as new as what is stored, so
out-of-order delivery never rolls a price or a stock level back.
"""

import logging

from django.db import connection, transaction

from flowmart.contracts.catalog import ProductPublished, ProductRetired, SellerStaffChanged, VariantPriceChanged
from flowmart.contracts.customers import CustomerAddressDeleted, CustomerAddressSaved
from flowmart.contracts.inventory import InventoryAdjusted, OutOfStock
from flowmart.contracts.shipping import ShippingRatesPublished

from ..currencies import price_list
from ..models import CustomerAddress, SellableVariant, SellerStaff, ShippingRateTable, SkuAvailability

logger = logging.getLogger("flowmart.orders")


def _upsert_newer(model, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT (pk) DO UPDATE … WHERE stored.as_of <= new.as_of, in one statement."""
    if not rows:
        return
    rows = list({row[model._meta.pk.name]: row for row in rows}.values())  # one row per key
    fields = [model._meta.get_field(name) for name in rows[0]]
    table, pk = model._meta.db_table, model._meta.pk.column
    columns = ", ".join(f.column for f in fields)
    updates = ", ".join(f"{f.column} = EXCLUDED.{f.column}" for f in fields if not f.primary_key)
    placeholders = ", ".join("(" + ", ".join(["%s"] * len(fields)) + ")" for _ in rows)
    params = [f.get_db_prep_save(row[f.name], connection) for row in rows for f in fields]
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {placeholders} "
        f"ON CONFLICT ({pk}) DO UPDATE SET {updates} WHERE {table}.as_of <= EXCLUDED.as_of"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@transaction.atomic
def apply_product_published(ev: ProductPublished) -> None:
    rows = [
        {
            "sku": v.sku,
            "product_id": ev.product_id,
            "name": v.name,
            "price_amount": v.price.amount,
            "currency": v.price.currency,
            "prices": price_list(v.prices or (v.price,)),
            "weight_grams": v.weight_grams,
            "seller_id": ev.seller_id,
            "seller_slug": ev.seller_slug,
            "seller_name": ev.seller_name,
            "tax_class": ev.tax_class,
            "active": v.active,
            "as_of": ev.occurred_at,
        }
        for v in ev.variants
    ]
    _upsert_newer(SellableVariant, rows)
    # Variants dropped from the product are no longer sellable.
    SellableVariant.objects.filter(product_id=ev.product_id, as_of__lte=ev.occurred_at).exclude(
        sku__in=[v.sku for v in ev.variants]
    ).update(active=False, as_of=ev.occurred_at)


@transaction.atomic
def apply_price_change(ev: VariantPriceChanged) -> None:
    changed = SellableVariant.objects.filter(sku=ev.sku, as_of__lte=ev.occurred_at).update(
        price_amount=ev.new_price.amount,
        currency=ev.new_price.currency,
        prices=price_list(ev.prices or (ev.new_price,)),
        as_of=ev.occurred_at,
    )
    if not changed:
        logger.info("price change of %s ignored: unknown SKU or a newer copy is stored", ev.sku)


@transaction.atomic
def apply_product_retired(ev: ProductRetired) -> None:
    SellableVariant.objects.filter(product_id=ev.product_id, as_of__lte=ev.occurred_at).update(
        active=False, as_of=ev.occurred_at
    )
    SellableVariant.objects.filter(sku__in=ev.skus, as_of__lte=ev.occurred_at).update(
        active=False, as_of=ev.occurred_at
    )


# One statement each: no savepoint (it would double the statements of a checkout's delivery).
@transaction.atomic(savepoint=False)
def apply_stock_levels(ev: InventoryAdjusted) -> None:
    _upsert_newer(
        SkuAvailability,
        [{"sku": level.sku, "available": level.available, "as_of": ev.occurred_at} for level in ev.levels],
    )


@transaction.atomic(savepoint=False)
def apply_sold_out(ev: OutOfStock) -> None:
    """OutOfStock without an order: those SKUs reached zero."""
    if ev.order_id is None:
        _upsert_newer(SkuAvailability, [{"sku": sku, "available": 0, "as_of": ev.occurred_at} for sku in ev.skus])


@transaction.atomic
def apply_shipping_rates(ev: ShippingRatesPublished) -> None:
    """Replace the rate table unless a newer revision is already stored."""
    table = ShippingRateTable.objects.select_for_update().filter(pk=1).first()
    methods = ev.to_dict()["methods"]
    if table is None:
        ShippingRateTable.objects.bulk_create(
            [ShippingRateTable(pk=1, revision=ev.revision, methods=methods)], ignore_conflicts=True
        )
        table = ShippingRateTable.objects.select_for_update().get(pk=1)
        if table.revision == ev.revision:
            return
    if ev.revision <= table.revision:
        logger.info("shipping rates revision %s ignored: revision %s is stored", ev.revision, table.revision)
        return
    table.revision, table.methods = ev.revision, methods
    table.save(update_fields=["revision", "methods", "updated_at"])


@transaction.atomic
def apply_address_saved(ev: CustomerAddressSaved) -> None:
    _upsert_newer(
        CustomerAddress,
        [
            {
                "address_id": ev.address_id,
                "customer_id": ev.customer_id,
                "address": ev.to_dict()["address"],
                "deleted": False,
                "as_of": ev.occurred_at,
            }
        ],
    )


@transaction.atomic
def apply_address_deleted(ev: CustomerAddressDeleted) -> None:
    """A tombstone, so a late CustomerAddressSaved cannot bring the address back."""
    _upsert_newer(
        CustomerAddress,
        [
            {
                "address_id": ev.address_id,
                "customer_id": ev.customer_id,
                "address": {},
                "deleted": True,
                "as_of": ev.occurred_at,
            }
        ],
    )


@transaction.atomic
def apply_seller_staff(ev: SellerStaffChanged) -> None:
    """The sellers a staff user works for, which scope their order lines in the admin."""
    if not SellerStaff.apply(ev.user_id, ev.seller_ids, ev.occurred_at):
        logger.info("stale SellerStaffChanged for user %s ignored", ev.user_id)
