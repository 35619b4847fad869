"""Keeping the local copies (models/projections.py) up to date from other contexts' events.

Each runs in the handler's transaction. Copies sent whole are upserts; where events can
arrive out of order, the event's time (`as_of`) keeps an older one from winning."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from django.db import connection
from django.db.models import Q

from ..models import (
    BackInStockRequest,
    CustomerContact,
    OrderCopy,
    ProductCopy,
    SellerContact,
    ShipmentCopy,
    SkuCopy,
    SubscriptionCopy,
)


def keep_customer(customer_id: int, as_of: datetime, **fields) -> bool:
    """Upsert the customer's contact copy unless we hold a newer one; True if applied."""
    CustomerContact.objects.bulk_create(
        [CustomerContact(customer_id=customer_id, as_of=as_of, **fields)], ignore_conflicts=True
    )
    return bool(CustomerContact.objects.filter(customer_id=customer_id, as_of__lte=as_of).update(as_of=as_of, **fields))


def locked(model, defaults: dict | None = None, **key):
    """The copy's row, created if no event brought it yet, locked until commit: two events
    about one order (or product, or parcel) handled at once never race an insert."""
    model.objects.bulk_create([model(**key, **(defaults or {}))], ignore_conflicts=True)
    return model.objects.select_for_update().get(**key)


def _upsert(model, key: str, row: dict, changed: list[str]) -> None:
    """One INSERT … ON CONFLICT (key) DO UPDATE of `changed` (DO NOTHING when it is empty): the
    row is created or updated and locked until commit in one statement, so two events about
    one order (or parcel) handled at once never race an insert."""
    obj = model(**row)
    if changed:
        model.objects.bulk_create([obj], update_conflicts=True, unique_fields=[key], update_fields=changed)
    else:
        model.objects.bulk_create([obj], ignore_conflicts=True)


def keep_order(ev) -> None:
    """OrderConfirmed: the whole order as the customer placed it (status is OrderStatusChanged's).
    A guest's order (no customer) keeps the owner an OrderClaimed handled before it brought."""
    row = {
        "number": ev.order_number,
        "customer_id": ev.customer_id,
        "email": ev.customer_email,
        "lines": [_line(line) for line in ev.lines],
        "total": ev.total.to_dict(),
        "shipping_address": dataclasses.asdict(ev.shipping_address),
        "shipping_method": ev.shipping_method,
    }
    changed = [field for field in row if field != "customer_id" or ev.customer_id is not None]
    _upsert(OrderCopy, "order_id", {"order_id": ev.order_id, **row}, changed)


def keep_order_owner(order_id: int, customer_id: int, email: str) -> None:
    """OrderClaimed: the guest's order is the customer's from now on (the email is the order's own)."""
    _upsert(OrderCopy, "order_id", {"order_id": order_id, "customer_id": customer_id, "email": email}, ["customer_id"])


def keep_amended_order(ev) -> None:
    row = {"lines": [_line(line) for line in ev.lines], "total": ev.new_total.to_dict()}
    _upsert(OrderCopy, "order_id", {"order_id": ev.order_id, **row}, list(row))


def keep_order_status(ev) -> None:
    """The status and who the order is for; a number or email the event leaves empty keeps ours."""
    row = {"customer_id": ev.customer_id, "status": ev.status, "cancellation_reason": ev.cancellation_reason or ""}
    if ev.order_number:
        row["number"] = ev.order_number
    if ev.customer_email:
        row["email"] = ev.customer_email
    _upsert(OrderCopy, "order_id", {"order_id": ev.order_id, **row}, list(row))


def _line(line) -> dict:
    total = line.unit_price.amount * line.quantity
    return {
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": line.unit_price.to_dict(),
        "line_total": {"amount": str(total), "currency": line.unit_price.currency},
        "seller_id": line.seller_id,
    }


def keep_shipment(ev) -> None:
    """ShipmentCreated or ShipmentDispatched: fields an event leaves empty keep their value."""
    row = {field: getattr(ev, field, "") for field in ("carrier", "tracking_number", "tracking_url")}
    row = {field: value for field, value in row.items() if value}
    _upsert(ShipmentCopy, "shipment_id", {"shipment_id": ev.shipment_id, "order_id": ev.order_id, **row}, list(row))


def keep_product(ev) -> None:
    product = locked(ProductCopy, {"seller_id": ev.seller_id}, product_id=ev.product_id)
    product.name, product.slug, product.seller_id, product.active = ev.product_name, ev.slug, ev.seller_id, True
    product.save()
    for variant in ev.variants:
        SkuCopy.objects.bulk_create([SkuCopy(sku=variant.sku)], ignore_conflicts=True)
        SkuCopy.objects.filter(sku=variant.sku).update(
            product_id=ev.product_id, seller_id=ev.seller_id, name=variant.name, active=variant.active
        )
    SellerContact.objects.bulk_create([SellerContact(seller_id=ev.seller_id)], ignore_conflicts=True)
    SellerContact.objects.filter(seller_id=ev.seller_id).exclude(name=ev.seller_name, slug=ev.seller_slug).update(
        name=ev.seller_name, slug=ev.seller_slug
    )


def retire_product(ev) -> None:
    ProductCopy.objects.filter(product_id=ev.product_id).update(active=False)
    SkuCopy.objects.filter(sku__in=ev.skus).update(active=False)


def keep_seller(ev) -> None:
    SellerContact.objects.bulk_create([SellerContact(seller_id=ev.seller_id)], ignore_conflicts=True)
    SellerContact.objects.filter(seller_id=ev.seller_id).update(
        slug=ev.slug, name=ev.seller_name, contact_email=ev.contact_email
    )


def keep_subscription(ev) -> None:
    copy = locked(SubscriptionCopy, {"customer_id": ev.customer_id}, subscription_id=ev.subscription_id)
    copy.customer_id, copy.email, copy.plan_name = ev.customer_id, ev.customer_email, ev.plan_name
    copy.sku, copy.quantity = ev.sku, ev.quantity
    copy.save()


def keep_levels(levels, as_of: datetime, *, waited_for: bool = False) -> list[str]:
    """Store each SKU's reported availability unless we hold a newer report, all SKUs in one
    INSERT … ON CONFLICT DO UPDATE … WHERE (PostgreSQL and SQLite alike): a SKU whose stored
    report is newer is neither changed nor returned. Returns the SKUs now available (> 0) by
    this report; `waited_for`: only those a customer waits for (asked in the same statement,
    so a report nobody waits on, such as a checkout's reservation, costs no second one)."""
    # One row per SKU (the last report of it, as row by row did), locked in key order: no deadlock.
    levels = sorted({level.sku: level for level in levels}.values(), key=lambda level: level.sku)
    if not levels:
        return []
    table = connection.ops.quote_name(SkuCopy._meta.db_table)
    when = connection.ops.adapt_datetimefield_value(as_of)
    values = ", ".join(["(%s, '', %s, %s, %s)"] * len(levels))
    waiting = "1"
    if waited_for:
        requests = connection.ops.quote_name(BackInStockRequest._meta.db_table)
        waiting = f"EXISTS (SELECT 1 FROM {requests} r WHERE r.sku = {table}.sku AND r.status = %s)"
    stored = SkuCopy.objects.raw(
        f"INSERT INTO {table} (sku, name, active, available, available_as_of) VALUES {values} "
        "ON CONFLICT (sku) DO UPDATE SET available = excluded.available, available_as_of = excluded.available_as_of "
        f"WHERE {table}.available_as_of IS NULL OR {table}.available_as_of <= excluded.available_as_of "
        f"RETURNING *, {waiting} AS waited_for",
        [x for level in levels for x in (level.sku, True, level.available, when)]
        + ([BackInStockRequest.Status.WAITING] if waited_for else []),
    )
    return [copy.sku for copy in stored if copy.available > 0 and copy.waited_for]


def mark_sold_out(skus, as_of: datetime) -> None:
    """OutOfStock without an order: these SKUs reached zero."""
    for sku in skus:
        SkuCopy.objects.bulk_create([SkuCopy(sku=sku)], ignore_conflicts=True)
        SkuCopy.objects.filter(Q(available_as_of__isnull=True) | Q(available_as_of__lte=as_of), sku=sku).update(
            available=0, available_as_of=as_of
        )
