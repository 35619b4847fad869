"""Reservation-row mechanics shared by the reservation services: turning a routing
plan into held stock, and giving held stock back (whole reservations or part of them).
Every function here runs inside the caller's transaction on rows it has locked, and notes
its reservation rows in the StockBook, which writes them with the stock rows and the ledger
(in one statement on PostgreSQL)."""

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from flowmart.contracts import inventory as contract

from .ledger import allocation
from .models import MovementKind, Reservation

logger = logging.getLogger("flowmart.inventory")


@dataclass(frozen=True)
class ReservationOutcome:
    ok: bool
    allocations: tuple[contract.Allocation, ...] = ()
    short: tuple[str, ...] = ()
    already_done: bool = False


def summed(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Demand per SKU: two lines of one SKU are checked against their sum."""
    demand: dict[str, int] = defaultdict(int)
    for sku, quantity in lines:
        demand[sku] += int(quantity)
    return dict(demand)


def hold(book, plan, *, order_id, destination, amendment_id=None, paid=False, expires_at=None):
    """Turn a routing plan into reserved stock, ledger lines and reservation rows."""
    reference = f"amendment:{amendment_id}" if amendment_id else f"order:{order_id}"
    status = Reservation.Status.PAID.value if paid else Reservation.Status.OPEN.value
    expires_at = None if paid else (expires_at or book.now + settings.RESERVATION_TTL)
    destination = (destination or "")[:2]
    allocations = []
    for pick in plan.picks:
        level = book.level(pick.sku, pick.warehouse_code)
        book.change(
            MovementKind.RESERVE,
            level,
            reserved=pick.quantity,
            reason="reserved",
            reference=reference,
            order_id=order_id,
        )
        # The fields of a new reservation row, in stock_sql.CREATED_FIELDS order.
        book.created.append(
            (order_id, pick.sku, level.warehouse.pk, pick.quantity, status, expires_at, amendment_id, destination)
        )
        allocations.append(allocation(pick.sku, pick.quantity, level.warehouse))
    return tuple(allocations)


def lock_active(order_id: int, **filters) -> list[Reservation]:
    return list(
        Reservation.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .filter(order_id=order_id, status__in=Reservation.ACTIVE, **filters)
        .order_by("pk")
    )


def end_reservations(book, reservations, *, kind, status, order_id, reference) -> tuple[contract.Allocation, ...]:
    """Give back everything the reservations hold and close them with `status`."""
    now, ended = book.now, []
    for res in reservations:
        level = book.level(res.sku, res.warehouse.code)
        book.change(kind, level, reserved=-res.quantity, reason=status, reference=reference, order_id=order_id)
        res.status, res.updated_at = status, now
        ended.append(allocation(res.sku, res.quantity, res.warehouse))
    book.changed.extend(reservations)
    return tuple(ended)


def shrink(book, active, amounts: dict[str, int], *, order_id, reference) -> list[contract.Allocation]:
    """Release `amounts` units per SKU, smallest reservations first (fewer parcels left)."""
    now, released, changed = book.now, [], []
    for sku, want in amounts.items():
        for res in sorted((r for r in active if r.sku == sku), key=lambda r: (r.quantity, r.pk)):
            take = min(res.quantity, want)
            if take <= 0:
                break
            want -= take
            level = book.level(sku, res.warehouse.code)
            book.change(
                MovementKind.RELEASE, level, reserved=-take, reason="amended", reference=reference, order_id=order_id
            )
            if take == res.quantity:
                res.status = Reservation.Status.RELEASED
            else:
                res.quantity -= take
            res.updated_at = now
            changed.append(res)
            released.append(allocation(sku, take, res.warehouse))
        if want > 0:
            logger.warning("order %s: %s could not release %d more of %s", order_id, reference, want, sku)
    book.changed.extend(changed)
    return released


def adjusted_event(reason, book, order_id, amendment_id, allocations, reference) -> contract.InventoryAdjusted:
    return contract.InventoryAdjusted(
        reason=reason,
        order_id=order_id,
        amendment_id=amendment_id,
        allocations=tuple(allocations),
        levels=book.level_payload(),
        reference=reference,
    )
