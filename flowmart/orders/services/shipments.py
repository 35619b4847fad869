"""Orders' view of its shipments, and the order moves they cause.

Shipment events may arrive in any order (a Dispatched before its Created): each is an
upsert keyed by shipping's shipment id, and a shipment's status only moves forward.
The order is `shipped` once every live shipment has left, `delivered` once every one
has arrived.
"""

from django.db import transaction

from ..models import Order, OrderShipment, OrderTrackingEvent
from ..status import OrderStatus
from .lifecycle import locked, move, note

RANK = {"created": 0, "dispatched": 1, "in_transit": 2, "delivery_failed": 2, "delivered": 3, "voided": 9}


def _record(order: Order, shipment_id: int, status: str, **details) -> OrderShipment:
    shipment, created = OrderShipment.objects.get_or_create(
        shipment_id=shipment_id, defaults={"order": order, "status": status, **details}
    )
    if created:
        return shipment
    changed = [name for name, value in details.items() if value and getattr(shipment, name) != value]
    for name in changed:
        setattr(shipment, name, details[name])
    if RANK[status] > RANK[shipment.status] or (status == "delivery_failed" and shipment.status == "in_transit"):
        shipment.status = status
        changed.append("status")
    if changed:
        shipment.save(update_fields=[*changed, "updated_at"])
    return shipment


def _advance(order: Order) -> None:
    live = [s.status for s in order.shipments.all() if s.status != "voided"]
    if not live:
        return
    if order.status == OrderStatus.PAID and all(RANK[s] >= RANK["dispatched"] for s in live):
        move(order, OrderStatus.SHIPPED, "all shipments dispatched")
    if order.status == OrderStatus.SHIPPED and all(s == "delivered" for s in live):
        move(order, OrderStatus.DELIVERED, "all shipments delivered")


TRACKED = frozenset({"dispatched", "in_transit", "delivered", "delivery_failed"})


@transaction.atomic
def shipment_changed(
    order_id: int, shipment_id: int, status: str, reason: str = "", place: str = "", at=None, **details
) -> None:
    """`place` and `at` (where and when, as the carrier says) add a tracking step for the customer."""
    order = locked(order_id)
    if order is None:
        return
    shipment = _record(order, shipment_id, status, **details)
    if status in TRACKED and at is not None:
        OrderTrackingEvent.objects.create(shipment=shipment, status=status, place=place or "", at=at)
    if status == "delivery_failed":
        note(order, f"delivery of shipment {shipment_id} failed: {reason}")
    _advance(order)
