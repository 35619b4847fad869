"""Every write of the inventory context. Each service is one transaction that locks the
stock rows it touches (StockBook, pk order), changes them, appends ledger lines and
publishes its events; deadlocks and serialization failures are retried at the top.

Reservations move open → paid → consumed, or open/paid → released, or open → expired.
Terminal reservations are never touched again, which is what makes every handler safe
against duplicates and out-of-order arrival (a release after a consume finds nothing).
"""

import logging
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from flowmart.common.countries import is_country_code
from flowmart.common.errors import Conflict, InvalidRequest
from flowmart.contracts import inventory as contract
from flowmart.events import publish

from . import routing
from .holds import ReservationOutcome, adjusted_event, end_reservations, hold, lock_active, shrink, summed
from .ledger import StockBook, allocation, order_seen, retry_on_conflict, warehouse_by_code
from .models import ClosedOrder, MovementKind, Reservation, StockLevel, StockMovement, Warehouse

logger = logging.getLogger("flowmart.inventory")


class OrderNotReservedYet(RuntimeError):
    """An order event overtook the order's confirmation; the dispatcher retries it later."""


# --- warehouses ------------------------------------------------------------------------

WAREHOUSE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")


def create_warehouse(*, code: str, name: str, country: str, latitude, longitude) -> Warehouse:
    """A new fulfilment location; routing considers it from the next reservation on.
    Codes are upper case (they name the warehouse in events and on the ledger for good)."""
    code, name, country = code.strip().upper(), name.strip(), country.strip().upper()
    problems: dict[str, list[str]] = {}
    if not WAREHOUSE_CODE.match(code):
        problems["code"] = ["1-32 letters, digits, '-' or '_', starting with a letter or digit."]
    if not name or len(name) > 120:
        problems["name"] = ["A name of 1-120 characters."]
    if not is_country_code(country):
        problems["country"] = ["An ISO 3166-1 alpha-2 country code, e.g. DE."]
    position = {"latitude": (latitude, 90), "longitude": (longitude, 180)}
    coordinates = {}
    for field, (raw, limit) in position.items():
        try:
            value = Decimal(str(raw)).quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite() or abs(value) > limit:
            problems[field] = [f"Decimal degrees between -{limit} and {limit}."]
        coordinates[field] = value
    if problems:
        raise InvalidRequest("The warehouse is invalid.", fields=problems)
    try:
        with transaction.atomic():
            return Warehouse.objects.create(code=code, name=name, country=country, **coordinates)
    except IntegrityError:  # the unique code
        raise Conflict(f"Warehouse {code} exists already.", fields={"code": ["Taken."]}) from None


# --- stock in and out (staff, demo, returns) -------------------------------------------


# One stock movement moves at most this many units; on_hand is a 32-bit integer column.
MAX_UNITS_PER_CHANGE = 1_000_000
MAX_ON_HAND = 2**31 - 1


def _check_size(quantity: int, level: StockLevel | None = None) -> None:
    """Refuse what the stock columns cannot hold (a 400, not an overflow deep in PostgreSQL)."""
    if abs(quantity) > MAX_UNITS_PER_CHANGE:
        raise InvalidRequest(
            "Too many units for one change.", fields={"quantity": [f"At most {MAX_UNITS_PER_CHANGE} units at once."]}
        )
    if level is not None and level.on_hand + quantity > MAX_ON_HAND:
        raise InvalidRequest("More units than a stock level can hold.", fields={"quantity": ["Too many units."]})


def _warehouse_or_error(code: str):
    warehouse = warehouse_by_code(code)
    if warehouse is None:
        raise InvalidRequest(f"Unknown warehouse {code!r}.", fields={"warehouse": ["Unknown warehouse."]})
    return warehouse


@retry_on_conflict
def receive_stock(*, sku: str, warehouse_code: str, quantity: int, reason: str = "", reference: str = "") -> StockLevel:
    """Goods arrived at a warehouse: on_hand goes up."""
    if quantity <= 0:
        raise InvalidRequest("A receipt adds a positive quantity.", fields={"quantity": ["Must be positive."]})
    _check_size(quantity)
    warehouse = _warehouse_or_error(warehouse_code)
    with transaction.atomic():
        book = StockBook.lock([sku], ensure=[(sku, warehouse)])
        level = book.level(sku, warehouse.code)
        _check_size(quantity, level)
        book.change(MovementKind.RECEIVE, level, on_hand=quantity, reason=reason or "received", reference=reference)
        book.commit("received", reference=reference)
    return level


@retry_on_conflict
def adjust_stock(*, sku: str, warehouse_code: str, quantity: int, reason: str, reference: str = "") -> StockLevel:
    """A counted correction (damage, shrinkage, recount): signed change of on_hand.
    It may not take away units that are reserved for orders."""
    if quantity == 0:
        raise InvalidRequest("An adjustment changes the quantity.", fields={"quantity": ["Must not be zero."]})
    if not (reason or "").strip():
        raise InvalidRequest("An adjustment needs a reason.", fields={"reason": ["This field is required."]})
    _check_size(quantity)
    warehouse = _warehouse_or_error(warehouse_code)
    with transaction.atomic():
        book = StockBook.lock([sku], ensure=[(sku, warehouse)] if quantity > 0 else ())
        level = book.level(sku, warehouse.code)
        if level is not None:
            _check_size(quantity, level)
        if level is None or level.on_hand - level.reserved + quantity < 0:
            available = 0 if level is None else level.on_hand - level.reserved
            raise Conflict(
                f"Only {available} unreserved units of {sku} at {warehouse.code}.", code="insufficient_stock"
            )
        book.change(MovementKind.ADJUST, level, on_hand=quantity, reason=reason, reference=reference)
        book.commit("adjusted", reference=reference)
    return level


@retry_on_conflict
def restock_return(*, return_id: str, order_id: int | None, lines: Iterable[tuple[str, int, str]]) -> int:
    """A customer return was received: its units go back on hand where they arrived.
    Once per return_id; lines naming an unknown warehouse are logged and skipped."""
    reference = f"return:{return_id}"
    with transaction.atomic():
        if StockMovement.objects.filter(reference=reference).exists():
            logger.info("return %s already restocked", return_id)
            return 0
        wanted = []
        for sku, quantity, code in lines:
            warehouse = warehouse_by_code(code)
            if warehouse is None or quantity <= 0:
                logger.error(
                    "return %s: cannot restock %s × %s at unknown warehouse %r", return_id, quantity, sku, code
                )
                continue
            wanted.append((sku, int(quantity), warehouse))
        if not wanted:
            return 0
        book = StockBook.lock([sku for sku, _, _ in wanted], ensure=[(sku, wh) for sku, _, wh in wanted])
        for sku, quantity, warehouse in wanted:
            level = book.level(sku, warehouse.code)
            book.change(
                MovementKind.RETURN, level, on_hand=quantity, reason="returned", reference=reference, order_id=order_id
            )
        book.commit("returned", order_id=order_id, reference=reference)
    return sum(q for _, q, _ in wanted)


# --- reservations --------------------------------------------------------------------


@retry_on_conflict
def reserve_order(
    *, order_id: int, lines: Iterable[tuple[str, int]], destination_country: str = ""
) -> ReservationOutcome:
    """All-or-nothing reservation of an order's lines with routing; publishes
    InventoryAdjusted(reserved) or OutOfStock(order_id, short skus).

    On PostgreSQL that is two statements before the events: lock and read the SKUs' rows,
    then write stock, ledger and reservations while asking whether the order was reserved
    or released before (a duplicate delivery writes nothing). No savepoint of its own: in a
    subscriber's transaction a failure rolls back the whole delivery anyway."""
    demand = {sku: qty for sku, qty in summed(lines).items() if qty > 0}
    with transaction.atomic(savepoint=False):
        # Lock first: a second call for the same order waits here, then sees the first one's rows.
        book = StockBook.lock_rows(demand)
        plan = routing.plan(demand, routing.sites_from_levels(book.levels, destination_country))
        if not plan.ok:
            if order_seen(order_id):
                return ReservationOutcome(ok=True, already_done=True)
            publish(contract.OutOfStock(order_id=order_id, amendment_id=None, skus=plan.short))
            return ReservationOutcome(ok=False, short=plan.short)
        allocations = hold(book, plan, order_id=order_id, destination=destination_country)
        if not book.commit(
            "reserved",
            order_id=order_id,
            allocations=allocations,
            reference=f"order:{order_id}",
            first_for_order=order_id,
        ):
            logger.info("order %s was reserved or released before; nothing to do", order_id)
            return ReservationOutcome(ok=True, already_done=True)
    return ReservationOutcome(ok=True, allocations=allocations)


@retry_on_conflict
def release_order(*, order_id: int, reason: str = "cancelled") -> int:
    """The order is cancelled: give back its open and paid reservations (none is fine)."""
    with transaction.atomic(savepoint=False):
        ClosedOrder.objects.bulk_create([ClosedOrder(order_id=order_id, reason=reason[:50])], ignore_conflicts=True)
        reservations = lock_active(order_id)
        if not reservations:
            logger.info("order %s: nothing to release", order_id)
            return 0
        book = StockBook.lock_rows({r.sku for r in reservations})
        released = end_reservations(
            book,
            reservations,
            kind=MovementKind.RELEASE,
            status=Reservation.Status.RELEASED,
            order_id=order_id,
            reference=f"order:{order_id}",
        )
        book.commit("released", order_id=order_id, allocations=released, reference=reason)
    return sum(a.quantity for a in released)


@retry_on_conflict
def expire_order(*, order_id: int, now=None) -> int:
    """Release one unpaid order's reservations past their expiry; tell orders."""
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):
        reservations = lock_active(order_id, status=Reservation.Status.OPEN, expires_at__lte=now)
        if not reservations:
            return 0
        book = StockBook.lock_rows({r.sku for r in reservations})
        expired = end_reservations(
            book,
            reservations,
            kind=MovementKind.EXPIRE,
            status=Reservation.Status.EXPIRED,
            order_id=order_id,
            reference=f"order:{order_id}",
        )
        book.commit(
            "expired", order_id=order_id, allocations=expired, extra=[contract.ReservationExpired(order_id=order_id)]
        )
    return sum(a.quantity for a in expired)


def expire_reservations(*, now=None, limit: int = 500) -> int:
    """Beat job: expire every unpaid order whose reservations ran out, one transaction
    per order. Safe to run twice at once: the second finds the rows no longer open."""
    now = now or timezone.now()
    due = (
        Reservation.objects.filter(status=Reservation.Status.OPEN, expires_at__lte=now)
        .values_list("order_id", flat=True)
        .distinct()
        .order_by("order_id")[:limit]
    )
    return sum(1 for order_id in list(due) if expire_order(order_id=order_id, now=now))


def mark_paid(*, order_id: int) -> int:
    """The order is paid: its reservations no longer expire. A reservation that already
    expired stays expired (orders cancels the order and payments refunds). One UPDATE is
    atomic on its own: no transaction (or savepoint) of its own around it. Plain SQL (portable):
    the same UPDATE as QuerySet.update() writes, without its compiling on every payment."""
    with connection.cursor() as cursor:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(_MARK_PAID, [Reservation.Status.PAID, now, order_id, Reservation.Status.OPEN])
        return cursor.rowcount


_MARK_PAID = (
    f"UPDATE {Reservation._meta.db_table} SET status = %s, expires_at = NULL, updated_at = %s "
    "WHERE order_id = %s AND status = %s"
)


@retry_on_conflict
def consume_for_shipment(
    *, order_id: int, warehouse_code: str, lines: Iterable[tuple[str, int]], shipment_id=None
) -> int:
    """A parcel left the warehouse: its reserved units leave on_hand and reserved together.
    Only what is still reserved there is consumed: after a release or an expiry there is
    nothing left to count twice, so the consume records nothing and logs."""
    need = summed(lines)
    reference = f"shipment:{shipment_id}" if shipment_id is not None else f"order:{order_id}"
    with transaction.atomic(savepoint=False):
        if shipment_id is not None and StockMovement.objects.filter(reference=reference).exists():
            logger.info("shipment %s already consumed", shipment_id)
            return 0
        reservations = lock_active(order_id, warehouse__code=warehouse_code, sku__in=list(need))
        if not reservations:
            logger.warning(
                "order %s: nothing reserved at %s to ship (released, expired or shipped)", order_id, warehouse_code
            )
            return 0
        book = StockBook.lock_rows(need)
        now, shipped, changed = book.now, [], []
        for res in reservations:
            take = min(res.quantity, need.get(res.sku, 0))
            if take <= 0:
                continue
            need[res.sku] -= take
            level = book.level(res.sku, warehouse_code)
            book.change(
                MovementKind.SHIP,
                level,
                on_hand=-take,
                reserved=-take,
                reason="shipped",
                reference=reference,
                order_id=order_id,
            )
            if take == res.quantity:
                res.status = Reservation.Status.CONSUMED
            else:
                res.quantity -= take
            res.updated_at = now
            changed.append(res)
            shipped.append(allocation(res.sku, take, res.warehouse))
        if not changed:
            return 0
        book.changed.extend(changed)
        if any(qty > 0 for qty in need.values()):
            logger.warning("order %s: shipment %s carried more than was reserved: %s", order_id, shipment_id, need)
        book.commit("shipped", order_id=order_id, allocations=shipped, reference=reference)
    return sum(a.quantity for a in shipped)


@retry_on_conflict
def apply_amendment(*, order_id: int, amendment_id: str, changes: Iterable[tuple[str, int]]) -> ReservationOutcome:
    """Reserve the positive and release the negative per-SKU differences of an amendment,
    all or nothing. New units prefer the warehouses the order already ships from and
    inherit its payment state (a paid order's new reservations do not expire)."""
    diff = summed(changes)
    grow = {sku: q for sku, q in diff.items() if q > 0}
    reduce = {sku: -q for sku, q in diff.items() if q < 0}
    reference = f"amendment:{amendment_id}"
    with transaction.atomic():
        active = lock_active(order_id)
        if not active:
            never_reserved = not Reservation.objects.filter(order_id=order_id).exists()
            if never_reserved and not ClosedOrder.objects.filter(order_id=order_id).exists():
                # Arrived before OrderConfirmed was handled: fail so the delivery retries later.
                raise OrderNotReservedYet(f"order {order_id} has no reservations yet (amendment {amendment_id})")
            logger.warning("order %s: amendment %s ignored, the order holds no reservations", order_id, amendment_id)
            return ReservationOutcome(ok=False)
        if (
            any(r.amendment_id == amendment_id for r in active)
            or StockMovement.objects.filter(reference=reference).exists()
        ):
            return ReservationOutcome(ok=True, already_done=True)
        book = StockBook.lock_rows(diff)
        destination = active[0].destination_country
        plan = routing.plan(
            grow,
            routing.sites_from_levels(book.levels, destination),
            preferred=frozenset(r.warehouse.code for r in active),
        )
        if not plan.ok:
            publish(contract.OutOfStock(order_id=order_id, amendment_id=amendment_id, skus=plan.short))
            return ReservationOutcome(ok=False, short=plan.short)
        released = shrink(book, active, reduce, order_id=order_id, reference=reference)
        paid = any(r.status == Reservation.Status.PAID for r in active)
        deadlines = [r.expires_at for r in active if r.expires_at is not None]
        allocations = hold(
            book,
            plan,
            order_id=order_id,
            destination=destination,
            amendment_id=amendment_id,
            paid=paid,
            expires_at=min(deadlines) if deadlines else None,
        )
        extra = []
        if released:
            extra.append(adjusted_event("released", book, order_id, amendment_id, released, reference))
        book.commit(
            "reserved",
            order_id=order_id,
            amendment_id=amendment_id,
            allocations=allocations,
            reference=reference,
            extra=extra,
        )
    return ReservationOutcome(ok=True, allocations=allocations)
