"""Orders' view of its shipments, and the order moves they cause.

Shipment events may arrive in any order (a Dispatched before its Created): each is an
upsert keyed by shipping's shipment id, and a shipment's status only moves forward.
The order is `shipped` once every live shipment has left, `delivered` once every one
has arrived.
"""

import logging

from django.db import connection

from ..models import Order, OrderShipment, OrderTrackingEvent
from ..status import OrderStatus
from .lifecycle import in_delivery, locked, move, note

logger = logging.getLogger("flowmart.orders")

RANK = {"created": 0, "dispatched": 1, "in_transit": 2, "delivery_failed": 2, "delivered": 3, "voided": 9}


def _insert_new(order: Order, shipment_id: int, status: str, details: dict) -> OrderShipment | None:
    """The shipment inserted unless shipping's id is known already (then None): one
    INSERT … ON CONFLICT DO NOTHING RETURNING (PostgreSQL and SQLite) instead of
    get_or_create's select, savepoint, insert and release."""
    shipment = OrderShipment(order=order, shipment_id=shipment_id, status=status, **details)
    fields = [f for f in OrderShipment._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(shipment, add=True), connection) for f in fields]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(OrderShipment._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({quote('shipment_id')}) DO NOTHING RETURNING {quote('id')}",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    shipment.pk = row[0]
    shipment._state.adding, shipment._state.db = False, connection.alias
    return shipment


def _created_at_once(order_id: int, shipment_id: int, details: dict) -> bool:
    """A parcel's first event, ShipmentCreated, in one statement on PostgreSQL: a CTE locks the
    order row (as locked() does, so shipment events of one order still take turns: a Dispatched
    of its sibling cannot ship the order past this parcel) and inserts the shipment from it,
    ON CONFLICT DO NOTHING. A new parcel that has not left moves nothing, so that is all: one
    round trip and no Order instance, instead of locked()'s SELECT and the INSERT.
    True when done (inserted, or an unknown order ignored); False when the shipment is known
    already (a redelivery, or Created overtaken) or on SQLite: then shipment_changed() decides."""
    if connection.vendor != "postgresql":
        return False
    shipment = OrderShipment(order_id=order_id, shipment_id=shipment_id, status="created", **details)
    fields = [f for f in OrderShipment._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(shipment, add=True), connection) for f in fields if f.column != "order_id"]
    quote, order_table = connection.ops.quote_name, quote_table(Order)
    columns = ", ".join(quote(f.column) for f in fields)
    selected = ", ".join("o.id" if f.column == "order_id" else "%s" for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH o AS (SELECT id FROM {order_table} WHERE id = %s FOR UPDATE), "
            f"new AS (INSERT INTO {quote_table(OrderShipment)} ({columns}) SELECT {selected} FROM o "
            f"ON CONFLICT ({quote('shipment_id')}) DO NOTHING RETURNING id) "
            "SELECT (SELECT id FROM o), (SELECT id FROM new)",
            [order_id, *values],
        )
        known, inserted = cursor.fetchone()
    if known is None:
        logger.warning("event for unknown order %s ignored", order_id)
        return True
    return inserted is not None


def quote_table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _record(order: Order, shipment_id: int, status: str, **details) -> tuple[OrderShipment, bool]:
    """The shipment as this event leaves it, and whether the event created it."""
    # Created is nearly always a shipment's first event: insert first. Any other event nearly
    # always finds the row: read first (and insert when it overtook the Created).
    if status == "created" and (new := _insert_new(order, shipment_id, status, details)):
        return new, True
    shipment = OrderShipment.objects.filter(shipment_id=shipment_id).first()
    if shipment is None:
        if new := _insert_new(order, shipment_id, status, details):
            return new, True
        shipment = OrderShipment.objects.get(shipment_id=shipment_id)  # inserted meanwhile
    changed = [name for name, value in details.items() if value and getattr(shipment, name) != value]
    for name in changed:
        setattr(shipment, name, details[name])
    if RANK[status] > RANK[shipment.status] or (status == "delivery_failed" and shipment.status == "in_transit"):
        shipment.status = status
        changed.append("status")
    if changed:
        shipment.save(update_fields=[*changed, "updated_at"])
    return shipment, False


def _advance(order: Order) -> None:
    live = [s.status for s in order.shipments.all() if s.status != "voided"]
    if not live:
        return
    if order.status == OrderStatus.PAID and all(RANK[s] >= RANK["dispatched"] for s in live):
        move(order, OrderStatus.SHIPPED, "all shipments dispatched")
    if order.status == OrderStatus.SHIPPED and all(s == "delivered" for s in live):
        move(order, OrderStatus.DELIVERED, "all shipments delivered")


TRACKED = frozenset({"dispatched", "in_transit", "delivered", "delivery_failed"})


@in_delivery
def shipment_changed(
    order_id: int, shipment_id: int, status: str, reason: str = "", place: str = "", at=None, **details
) -> None:
    """`place` and `at` (where and when, as the carrier says) add a tracking step for the customer."""
    if status == "created" and order_id is not None and _created_at_once(order_id, shipment_id, details):
        return
    order = locked(order_id)
    if order is None:
        return
    shipment, new = _record(order, shipment_id, status, **details)
    if status in TRACKED and at is not None:
        OrderTrackingEvent.objects.create(shipment=shipment, status=status, place=place or "", at=at)
    if status == "delivery_failed":
        note(order, f"delivery of shipment {shipment_id} failed: {reason}")
    if not (new and status == "created"):  # a new parcel that has not left holds the order back
        _advance(order)
