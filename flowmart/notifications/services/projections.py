"""Keeping the local copies (models/projections.py) up to date from other contexts' events.

Each runs in the handler's transaction. Copies sent whole are upserts; where events can
arrive out of order, the event's time (`as_of`) keeps an older one from winning."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from django.db.models import Q

from ..models import CustomerContact, OrderCopy, ProductCopy, SellerContact, ShipmentCopy, SkuCopy, SubscriptionCopy


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


def keep_order(ev) -> OrderCopy:
    """OrderConfirmed: the whole order as the customer placed it."""
    order = locked(OrderCopy, order_id=ev.order_id)
    order.number = ev.order_number
    order.customer_id = ev.customer_id
    order.email = ev.customer_email
    order.lines = [_line(line) for line in ev.lines]
    order.total = ev.total.to_dict()
    order.shipping_address = dataclasses.asdict(ev.shipping_address)
    order.shipping_method = ev.shipping_method
    order.save()
    return order


def keep_amended_order(ev) -> OrderCopy:
    order = locked(OrderCopy, order_id=ev.order_id)
    order.lines = [_line(line) for line in ev.lines]
    order.total = ev.new_total.to_dict()
    order.save(update_fields=["lines", "total", "updated_at"])
    return order


def keep_order_status(ev) -> OrderCopy:
    order = locked(OrderCopy, order_id=ev.order_id)
    order.number = ev.order_number or order.number
    order.customer_id = ev.customer_id
    order.email = ev.customer_email or order.email
    order.status = ev.status
    order.cancellation_reason = ev.cancellation_reason or ""
    order.save(update_fields=["number", "customer_id", "email", "status", "cancellation_reason", "updated_at"])
    return order


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


def keep_shipment(ev) -> ShipmentCopy:
    """ShipmentCreated or ShipmentDispatched: fields an event leaves empty keep their value."""
    shipment = locked(ShipmentCopy, {"order_id": ev.order_id}, shipment_id=ev.shipment_id)
    for field in ("carrier", "tracking_number", "tracking_url"):
        value = getattr(ev, field, "")
        if value:
            setattr(shipment, field, value)
    shipment.save()
    return shipment


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


def keep_levels(levels, as_of: datetime) -> list[str]:
    """Store each SKU's reported availability unless we hold a newer report. Returns the
    SKUs now available (> 0) by this report."""
    available = []
    for level in levels:
        SkuCopy.objects.bulk_create([SkuCopy(sku=level.sku)], ignore_conflicts=True)
        applied = SkuCopy.objects.filter(
            Q(available_as_of__isnull=True) | Q(available_as_of__lte=as_of), sku=level.sku
        ).update(available=level.available, available_as_of=as_of)
        if applied and level.available > 0:
            available.append(level.sku)
    return available


def mark_sold_out(skus, as_of: datetime) -> None:
    """OutOfStock without an order: these SKUs reached zero."""
    for sku in skus:
        SkuCopy.objects.bulk_create([SkuCopy(sku=sku)], ignore_conflicts=True)
        SkuCopy.objects.filter(Q(available_as_of__isnull=True) | Q(available_as_of__lte=as_of), sku=sku).update(
            available=0, available_as_of=as_of
        )
