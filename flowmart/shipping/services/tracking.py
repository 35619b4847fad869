"""A shipment's life after creation: staff dispatch it, the carrier reports where it is.

The transition table is the only authority on what may follow what. Carrier updates
arrive late, twice and out of order: each is logged once per (carrier, event_id); an
update older than the last one applied, or not allowed from the current status, is
logged but changes nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from flowmart.common.errors import Conflict, Forbidden
from flowmart.common.roles import StaffScope
from flowmart.contracts.common import SkuQuantity
from flowmart.contracts.shipping import DeliveryFailed, ShipmentDelivered, ShipmentDispatched, ShipmentInTransit
from flowmart.events import publish
from flowmart.shipping.carriers import get_carrier
from flowmart.shipping.models import Shipment, TrackingEvent

logger = logging.getLogger(__name__)

S = Shipment.Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.CREATED: frozenset({S.DISPATCHED, S.VOIDED}),
    S.DISPATCHED: frozenset({S.IN_TRANSIT, S.DELIVERED, S.DELIVERY_FAILED}),
    S.IN_TRANSIT: frozenset({S.DELIVERED, S.DELIVERY_FAILED}),
    S.DELIVERY_FAILED: frozenset({S.IN_TRANSIT, S.DELIVERED}),  # the carrier tries again
    S.DELIVERED: frozenset(),
    S.VOIDED: frozenset(),
}
CARRIER_STATUSES = (S.IN_TRANSIT, S.DELIVERED, S.DELIVERY_FAILED)


class Outcome(StrEnum):
    APPLIED = "applied"
    IGNORED = "ignored"  # stale or not allowed from the current status; logged only
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class TrackingUpdate:
    event_id: str
    tracking_number: str
    status: str
    occurred_at: datetime
    location: str = ""
    reason: str = ""


class UnknownParcel(LookupError):
    pass


def can_move(current: str, new: str) -> bool:
    return new in TRANSITIONS[current]


def dispatch_shipment(shipment_id: int, *, acting_for: StaffScope | None = None) -> Shipment:
    """The parcel left the warehouse: inventory consumes the reservation. 409 unless `created`.
    With `acting_for` (a seller's staff), 403 unless every line is theirs, checked under the
    lock, since an amendment may change a parcel's lines until it is dispatched."""
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment_id)
        if acting_for is not None and not acting_for.owns_all(line.sku for line in shipment.lines.all()):
            raise Forbidden(f"Shipment {shipment.pk} also holds other sellers' goods; operations dispatch it.")
        if not can_move(shipment.status, S.DISPATCHED):
            raise Conflict(f"Shipment {shipment.pk} is {shipment.status}; only created shipments can be dispatched.")
        now = timezone.now()
        shipment.status = S.DISPATCHED
        shipment.dispatched_at = now
        shipment.save(update_fields=["status", "dispatched_at"])
        TrackingEvent.objects.create(
            shipment=shipment,
            carrier=shipment.carrier,
            event_id=f"dispatch-{shipment.pk}",
            status=S.DISPATCHED,
            occurred_at=now,
            location=shipment.warehouse_code,
            applied=True,
        )
        publish(
            ShipmentDispatched(
                shipment_id=shipment.pk,
                order_id=shipment.order_id,
                warehouse_code=shipment.warehouse_code,
                lines=tuple(SkuQuantity(sku=line.sku, quantity=line.quantity) for line in shipment.lines.all()),
                carrier=shipment.carrier,
                tracking_number=shipment.tracking_number,
                tracking_url=get_carrier(shipment.carrier).tracking_url(shipment.tracking_number),
            )
        )
        _catch_up(shipment)
        return shipment


def record_tracking_update(carrier: str, update: TrackingUpdate) -> tuple[Shipment, Outcome]:
    """Log one carrier update and apply it if the transition table and its time allow."""
    with transaction.atomic():
        shipment = (
            Shipment.objects.select_for_update().filter(carrier=carrier, tracking_number=update.tracking_number).first()
        )
        if shipment is None:
            raise UnknownParcel(update.tracking_number)
        if TrackingEvent.objects.filter(carrier=carrier, event_id=update.event_id).exists():
            return shipment, Outcome.DUPLICATE
        event = TrackingEvent.objects.create(
            shipment=shipment,
            carrier=carrier,
            event_id=update.event_id,
            status=update.status,
            occurred_at=update.occurred_at,
            location=update.location,
            reason=update.reason,
        )
        outcome = _apply(shipment, event)
        return shipment, outcome


def _apply(shipment: Shipment, event: TrackingEvent) -> Outcome:
    stale = shipment.last_tracking_at is not None and event.occurred_at < shipment.last_tracking_at
    if stale:
        logger.info("shipment %s: stale %s from %s ignored", shipment.pk, event.status, event.occurred_at)
        return Outcome.IGNORED
    if event.status == shipment.status == S.IN_TRANSIT:  # a newer scan on the way: only the location moves
        _mark_applied(shipment, event)
        shipment.save(update_fields=["last_location", "last_tracking_at"])
        return Outcome.APPLIED
    if not can_move(shipment.status, event.status):
        logger.info("shipment %s: %s → %s not allowed, ignored", shipment.pk, shipment.status, event.status)
        return Outcome.IGNORED
    shipment.status = event.status
    if event.status == S.DELIVERED:
        shipment.delivered_at = event.occurred_at
    _mark_applied(shipment, event)
    shipment.save(update_fields=["status", "delivered_at", "last_location", "last_tracking_at"])
    publish(_announcement(shipment, event))
    return Outcome.APPLIED


def _mark_applied(shipment: Shipment, event: TrackingEvent) -> None:
    shipment.last_tracking_at = event.occurred_at
    if event.location:
        shipment.last_location = event.location
    event.applied = True
    event.save(update_fields=["applied"])


def _announcement(shipment: Shipment, event: TrackingEvent):
    ids = {
        "shipment_id": shipment.pk,
        "order_id": shipment.order_id,
        "location": event.location,
        "at": event.occurred_at,
    }
    if event.status == S.IN_TRANSIT:
        return ShipmentInTransit(**ids)
    if event.status == S.DELIVERED:
        return ShipmentDelivered(**ids)
    return DeliveryFailed(**ids, reason=event.reason or "delivery attempt failed")


def _catch_up(shipment: Shipment) -> None:
    """Carrier scans that arrived before staff pressed dispatch are applied now, oldest first."""
    early = shipment.tracking_events.filter(applied=False, status__in=CARRIER_STATUSES).order_by("occurred_at", "id")
    for event in early:
        _apply(shipment, event)
