"""From paid order to parcels. Shipping's projection of an order is filled by whichever
event arrives first (OrderConfirmed, InventoryAdjusted, PaymentProcessed, in any order);
once it knows the destination, the allocations and the payment, it creates one shipment
per warehouse. Each step locks the order's projection row, so concurrent deliveries of
these events cannot create a parcel twice."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from flowmart.contracts.common import SkuQuantity
from flowmart.contracts.inventory import Allocation
from flowmart.contracts.orders import OrderConfirmed
from flowmart.contracts.shipping import ShipmentCreated, ShipmentVoided
from flowmart.events import publish
from flowmart.shipping import selectors
from flowmart.shipping.carriers import get_carrier
from flowmart.shipping.models import OrderAllocation, Shipment, ShipmentLine, ShippingMethod, ShippingOrder

from .labels import attach_label

logger = logging.getLogger(__name__)

DEFAULT_CARRIER = "postal"  # for an order whose method is no longer in the table


def locked_order(order_id: int) -> ShippingOrder:
    """The order's projection row, created if no event brought it yet, locked until commit."""
    return _upserted(ShippingOrder(order_id=order_id))


def _upserted(fresh: ShippingOrder, assignments: str = "", where: str = "") -> ShippingOrder | None:
    """`fresh` inserted, or the stored row updated with `assignments` (SQL over `s`, the stored
    row, and `excluded`, fresh) where `where` holds; the row as it now is, locked until commit.
    One statement whether or not an event brought the row before, PostgreSQL and SQLite alike
    (INSERT … ON CONFLICT DO UPDATE … RETURNING). None: the row is stored and `where` was false."""
    fields = [f for f in ShippingOrder._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    key = qn(ShippingOrder._meta.get_field("order_id").column)
    rows = list(
        ShippingOrder.objects.raw(
            f"INSERT INTO {qn(ShippingOrder._meta.db_table)} AS s ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {assignments or f'{key} = excluded.{key}'}"
            f"{f' WHERE {where}' if where else ''} RETURNING *",
            [f.get_db_prep_save(f.pre_save(fresh, True), connection) for f in fields],
        )
    )
    return rows[0] if rows else None


def record_order(event: OrderConfirmed) -> None:
    """The destination, method and lines, once (a redelivered OrderConfirmed changes nothing);
    the customer a claim may have brought first is kept. One statement, then fulfilment."""
    fresh = ShippingOrder(
        order_id=event.order_id,
        order_number=event.order_number,
        customer_id=event.customer_id,
        customer_email=event.customer_email,
        shipping_address=dataclasses.asdict(event.shipping_address),
        shipping_method=event.shipping_method,
        lines=[{"sku": line.sku, "quantity": line.quantity} for line in event.lines],
        confirmed_at=event.occurred_at,
    )
    taken = ("order_number", "customer_email", "shipping_address", "shipping_method", "lines", "confirmed_at")
    assignments = ", ".join(
        [f'"{name}" = excluded."{name}"' for name in taken]
        + ['"customer_id" = COALESCE(s."customer_id", excluded."customer_id")']
    )
    # savepoint=False here and below: the subscriber's transaction is the unit, an error fails it whole.
    with transaction.atomic(savepoint=False):
        order = _upserted(fresh, assignments, where='s."confirmed_at" IS NULL')
        if order is not None:
            _fulfil(order)


def record_amended_lines(order_id: int, lines: Iterable) -> None:
    """Keep the order's lines current after an amendment (shipments follow the allocations)."""
    with transaction.atomic():
        order = locked_order(order_id)
        order.lines = [{"sku": line.sku, "quantity": line.quantity} for line in lines]
        order.save(update_fields=["lines"])


def record_reservation(order_id: int, source: str, allocations: Iterable[Allocation]) -> None:
    """Reserved stock: the allocations of the checkout ("" source) or of one amendment
    replace whatever that same source said before."""
    with transaction.atomic(savepoint=False):
        order = locked_order(order_id)
        OrderAllocation.objects.filter(order_id=order_id, source=source).delete()
        OrderAllocation.objects.bulk_create(
            OrderAllocation(
                order_id=order_id,
                source=source,
                sku=a.sku,
                quantity=a.quantity,
                warehouse_code=a.warehouse_code,
                warehouse_country=a.warehouse_country,
            )
            for a in allocations
            if a.quantity > 0
        )
        _fulfil(order)


def record_release(order_id: int, allocations: Iterable[Allocation]) -> None:
    """Released (or expired) stock: take the released quantities off the projection;
    a release that lists nothing releases the whole order."""
    allocations = list(allocations)
    with transaction.atomic():
        order = locked_order(order_id)
        if not allocations:
            OrderAllocation.objects.filter(order_id=order_id).delete()
        for released in allocations:
            _take_off(order_id, released)
        _fulfil(order)


def _take_off(order_id: int, released: Allocation) -> None:
    remaining = released.quantity
    rows = OrderAllocation.objects.filter(
        order_id=order_id, sku=released.sku, warehouse_code=released.warehouse_code
    ).order_by("-id")
    for row in rows:
        if remaining <= 0:
            break
        taken = min(row.quantity, remaining)
        remaining -= taken
        if taken == row.quantity:
            row.delete()
        else:
            row.quantity -= taken
            row.save(update_fields=["quantity"])


def mark_paid(order_id: int) -> None:
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        order = _upserted(
            ShippingOrder(order_id=order_id, paid_at=now), '"paid_at" = COALESCE(s."paid_at", excluded."paid_at")'
        )
        # Only a paid order has shipments: on its first payment (the time stored is ours) there
        # are none to read yet.
        _fulfil(order, has_shipments=order.paid_at != now)


def cancel_order(order_id: int) -> list[Shipment]:
    """The order is cancelled: void every shipment that has not left the warehouse."""
    with transaction.atomic():
        order = locked_order(order_id)
        if order.cancelled_at is None:
            order.cancelled_at = timezone.now()
            order.save(update_fields=["cancelled_at"])
        voided = list(Shipment.objects.select_for_update().filter(order_id=order_id, status=Shipment.Status.CREATED))
        for shipment in voided:
            _void(shipment)
        return voided


def _fulfil(order: ShippingOrder, has_shipments: bool = True) -> None:
    """Bring the order's shipments in line with its allocations, once it is paid and its
    destination is known. Parcels not yet dispatched follow later amendments."""
    if order.paid_at is None or order.confirmed_at is None or order.cancelled_at is not None:
        return
    wanted, carrier = _allocations_and_carrier(order)
    existing = {}
    if has_shipments:
        existing = {s.warehouse_code: s for s in Shipment.objects.select_for_update().filter(order_id=order.order_id)}
    created = []
    for code, entry in wanted.items():
        shipment = existing.get(code)
        if shipment is None:
            created.append(_create_shipment(order, carrier, code, entry["country"], entry["lines"]))
        elif shipment.status == Shipment.Status.CREATED:
            _sync_lines(shipment, entry["lines"])
    if created:
        publish(*created)
    for code, shipment in existing.items():
        if code not in wanted and shipment.status == Shipment.Status.CREATED:
            _void(shipment)
    if not wanted:
        logger.info("order %s is paid; its allocations have not arrived yet", order.order_id)


def _allocations_and_carrier(order: ShippingOrder) -> tuple[dict[str, dict], str]:
    """selectors.allocations_by_warehouse, and the carrier of the order's shipping method
    (DEFAULT_CARRIER for a method no longer in the table) read in the same statement: a paid
    order's parcels need both, and the method's row is one small indexed lookup."""
    qn = connection.ops.quote_name
    allocation, method = qn(OrderAllocation._meta.db_table), qn(ShippingMethod._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT m.carrier FROM {method} m WHERE m.code = %s), a.sku, a.quantity, a.warehouse_code, "
            f"a.warehouse_country FROM {allocation} a WHERE a.order_id = %s ORDER BY a.id",
            [order.shipping_method, order.order_id],
        )
        rows = cursor.fetchall()
    carrier = rows[0][0] if rows and rows[0][0] else DEFAULT_CARRIER  # no rows: no parcel to make
    allocations = [
        OrderAllocation(sku=sku, quantity=quantity, warehouse_code=code, warehouse_country=country)
        for _, sku, quantity, code, country in rows
    ]
    return selectors.by_warehouse(allocations), carrier


def _create_shipment(
    order: ShippingOrder, carrier_code: str, warehouse_code: str, country: str, lines: dict[str, int]
) -> ShipmentCreated:
    """Book the parcel and save it with its lines; returns the event to publish."""
    shipment = Shipment(
        order_id=order.order_id,
        warehouse_code=warehouse_code,
        warehouse_country=country,
        method=order.shipping_method,
        carrier=carrier_code,
        destination=order.shipping_address or {},
    )
    carrier = get_carrier(shipment.carrier)
    label = carrier.create_shipment(shipment, lines=lines)
    shipment.tracking_number = label.tracking_number
    attach_label(shipment, label)  # a simulated carrier's PDF is drawn on first download
    shipment.save()
    ShipmentLine.objects.bulk_create(ShipmentLine(shipment=shipment, sku=sku, quantity=q) for sku, q in lines.items())
    return ShipmentCreated(
        shipment_id=shipment.pk,
        order_id=shipment.order_id,
        warehouse_code=warehouse_code,
        carrier=shipment.carrier,
        method=shipment.method,
        tracking_number=shipment.tracking_number,
        lines=tuple(SkuQuantity(sku=sku, quantity=q) for sku, q in lines.items()),
        tracking_url=carrier.tracking_url(shipment.tracking_number),
    )


def _sync_lines(shipment: Shipment, lines: dict[str, int]) -> None:
    current = {line.sku: line.quantity for line in shipment.lines.all()}
    if current == lines:
        return
    shipment.lines.all().delete()
    ShipmentLine.objects.bulk_create(ShipmentLine(shipment=shipment, sku=sku, quantity=q) for sku, q in lines.items())
    logger.info("shipment %s follows the amended allocations: %s", shipment.pk, lines)


def _void(shipment: Shipment) -> None:
    shipment.status = Shipment.Status.VOIDED
    shipment.save(update_fields=["status"])
    publish(ShipmentVoided(shipment_id=shipment.pk, order_id=shipment.order_id))


def record_owner(order_id: int, customer_id: int) -> None:
    """OrderClaimed: a guest's order (and so its parcels) now belongs to this customer."""
    with transaction.atomic():
        order = locked_order(order_id)
        order.customer_id = customer_id
        order.save(update_fields=["customer_id"])
