"""The mechanics every stock change shares: lock, change, record, announce.

A StockBook locks every StockLevel row of the SKUs a service touches — all warehouses,
always in primary-key order, so two transactions never wait on each other in a cycle —
then applies deltas in memory, notes one ledger line per change and the reservation rows
the service creates or changes, writes them all at commit (one statement on PostgreSQL,
see stock_sql.py; a statement per table elsewhere) and builds the events that follow from
the before/after numbers (InventoryAdjusted with the new summed levels, LowStock on a
downward threshold crossing, OutOfStock when a SKU's total available reaches zero).
Callers run it inside transaction.atomic().
"""

import logging
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from functools import wraps

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from flowmart.contracts import inventory as contract
from flowmart.events import publish

from . import stock_sql
from .models import ClosedOrder, Reservation, StockLevel, StockMovement, Warehouse

logger = logging.getLogger("flowmart.inventory")

RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure
MAX_ATTEMPTS = 5


def retry_on_conflict(fn):
    """Run a service again when PostgreSQL aborts it for a deadlock or a serialization
    failure. Only at the outermost level: inside a caller's transaction (a handler) the
    error propagates and the caller's own retry (the event delivery) takes over."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        if transaction.get_connection().in_atomic_block:
            return fn(*args, **kwargs)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                state = getattr(exc.__cause__, "sqlstate", None)
                if state not in RETRYABLE_SQLSTATES or attempt == MAX_ATTEMPTS:
                    raise
                logger.warning("%s hit %s (attempt %d); retrying", fn.__name__, state, attempt)
                time.sleep(random.uniform(0, 0.005 * attempt))

    return wrapper


def warehouse_by_code(code: str) -> Warehouse | None:
    return Warehouse.objects.filter(code=code).first()


def order_seen(order_id: int) -> bool:
    """Has this order been reserved, or released, before? One round trip for both
    questions; callers ask it while the order's stock rows are locked."""
    sql = (
        f"SELECT EXISTS (SELECT 1 FROM {Reservation._meta.db_table} WHERE order_id = %s AND amendment_id IS NULL),"
        f" EXISTS (SELECT 1 FROM {ClosedOrder._meta.db_table} WHERE order_id = %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [order_id, order_id])
        reserved, closed = cursor.fetchone()
    if reserved:
        logger.info("order %s already has its reservations; nothing to do", order_id)
    elif closed:
        logger.warning("order %s was already released; not reserving for it", order_id)
    return reserved or closed


class StockBook:
    """The locked stock rows of one transaction and the changes made to them: stock
    numbers, ledger lines and reservation rows, all written together by flush()."""

    def __init__(self, levels):
        self.rows: dict[tuple[str, str], StockLevel] = {(lv.sku, lv.warehouse.code): lv for lv in levels}
        self.was = {lv.pk: (lv.on_hand, lv.reserved) for lv in levels}
        self.now = timezone.now()
        self.dirty: dict[int, StockLevel] = {}
        # Ledger lines, fields as in stock_sql.LEDGER_FIELDS.
        self.movements: list[tuple] = []
        self.created: list[tuple] = []  # new reservation rows, fields as in stock_sql.CREATED_FIELDS
        self.changed: list[Reservation] = []
        self.touched: set[str] = set()

    @classmethod
    def lock(cls, skus: Iterable[str], ensure: Iterable[tuple[str, Warehouse]] = ()) -> "StockBook":
        """Lock every row of `skus` in pk order as StockLevel instances (callers return them);
        `ensure` creates missing (sku, warehouse) rows first."""
        missing = [StockLevel(sku=sku, warehouse=wh) for sku, wh in ensure]
        if missing:
            StockLevel.objects.bulk_create(missing, ignore_conflicts=True)
        levels = list(
            StockLevel.objects.select_for_update(of=("self",))
            .select_related("warehouse")
            .filter(sku__in=sorted(set(skus)))
            .order_by("pk")
        )
        return cls(levels)

    @classmethod
    def lock_rows(cls, skus: Iterable[str]) -> "StockBook":
        """The same lock, reading plain rows in one raw statement on PostgreSQL (the
        reservation paths, which never hand a row to their caller)."""
        if connection.vendor != "postgresql":
            return cls.lock(skus)
        return cls(stock_sql.lock(sorted(set(skus))))

    @property
    def levels(self) -> list[StockLevel]:
        return list(self.rows.values())

    def level(self, sku: str, warehouse_code: str) -> StockLevel | None:
        return self.rows.get((sku, warehouse_code))

    def change(self, kind: str, level: StockLevel, *, on_hand: int = 0, reserved: int = 0, **note) -> None:
        """Apply deltas to a locked row and note its ledger line. The CHECK constraints
        reject the write if this would make anything negative or over-reserved."""
        level.on_hand += on_hand
        level.reserved += reserved
        level.updated_at = self.now
        self.dirty[level.pk] = level
        self.touched.add(level.sku)
        self.movements.append(
            (
                str(kind),
                level.sku,
                level.warehouse.pk,
                on_hand,
                reserved,
                level.on_hand,
                level.reserved,
                note.get("reason", "")[:255],
                note.get("reference", "")[:120],
                note.get("order_id"),
            )
        )

    def flush(self, *, first_for_order: int | None = None) -> bool:
        """Write every change, once per book (commit() does): the stock write compares with
        the numbers read under the lock. With `first_for_order`, only if that order was never
        reserved nor released (asked under the locks); False, with nothing written, if it was."""
        if connection.vendor == "postgresql":
            written = stock_sql.write(self, first_for_order=first_for_order)
        else:
            written = self._write_portably(first_for_order)
        self.dirty.clear()
        self.movements, self.created, self.changed = [], [], []
        return written

    def _write_portably(self, first_for_order: int | None) -> bool:
        """The same writes through the ORM, a statement each (SQLite, the embedded default)."""
        if first_for_order is not None and order_seen(first_for_order):
            return False
        for lv in self.dirty.values():
            StockLevel.objects.filter(pk=lv.pk).update(on_hand=lv.on_hand, reserved=lv.reserved, updated_at=self.now)
        if self.created:
            Reservation.objects.bulk_create(
                [
                    Reservation(
                        **dict(zip(stock_sql.CREATED_FIELDS, row, strict=True)),
                        created_at=self.now,
                        updated_at=self.now,
                    )
                    for row in self.created
                ]
            )
        if self.changed:
            Reservation.objects.bulk_update(self.changed, ["status", "quantity", "updated_at"])
        if self.movements:
            StockMovement.objects.bulk_create(
                [
                    StockMovement(**dict(zip(stock_sql.LEDGER_FIELDS, m, strict=True)), created_at=self.now)
                    for m in self.movements
                ]
            )
        return True

    def total_available(self, sku: str) -> int:
        return sum(lv.on_hand - lv.reserved for (s, _), lv in self.rows.items() if s == sku)

    def level_payload(self) -> tuple[contract.StockLevel, ...]:
        return tuple(contract.StockLevel(sku=sku, available=self.total_available(sku)) for sku in sorted(self.touched))

    def alerts(self) -> list:
        """LowStock per row crossing its threshold downward; OutOfStock (no order) for
        SKUs whose total available just reached zero."""
        events = []
        totals_before: dict[str, int] = defaultdict(int)
        for lv in self.rows.values():
            on_hand, reserved = self.was[lv.pk]
            totals_before[lv.sku] += on_hand - reserved
        for (sku, code), lv in self.rows.items():
            on_hand, reserved = self.was[lv.pk]
            before, after, threshold = on_hand - reserved, lv.on_hand - lv.reserved, lv.low_stock_threshold
            if threshold > 0 and before > threshold >= after:
                events.append(contract.LowStock(sku=sku, warehouse_code=code, available=after, threshold=threshold))
        emptied = sorted(sku for sku in self.touched if totals_before[sku] > 0 and self.total_available(sku) == 0)
        if emptied:
            events.append(contract.OutOfStock(order_id=None, amendment_id=None, skus=tuple(emptied)))
        return events

    def commit(
        self,
        reason: str,
        *,
        order_id=None,
        amendment_id=None,
        allocations=(),
        reference="",
        extra=(),
        first_for_order: int | None = None,
    ) -> bool:
        """Write everything and publish InventoryAdjusted (+ alerts, + `extra` events).
        False, with nothing written or published, if `first_for_order` was seen before."""
        if not self.flush(first_for_order=first_for_order):
            return False
        adjusted = contract.InventoryAdjusted(
            reason=reason,
            order_id=order_id,
            amendment_id=amendment_id,
            allocations=tuple(allocations),
            levels=self.level_payload(),
            reference=reference,
        )
        publish(adjusted, *self.alerts(), *extra)
        return True


def allocation(sku: str, quantity: int, warehouse: Warehouse) -> contract.Allocation:
    return contract.Allocation(
        sku=sku, quantity=quantity, warehouse_code=warehouse.code, warehouse_country=warehouse.country
    )
