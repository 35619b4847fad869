"""The mechanics every stock change shares: lock, change, record, announce.

A StockBook locks every StockLevel row of the SKUs a service touches — all warehouses,
always in primary-key order, so two transactions never wait on each other in a cycle —
then applies deltas in memory, writes the rows and one ledger line per change, and
builds the events that follow from the before/after numbers (InventoryAdjusted with
the new summed levels, LowStock on a downward threshold crossing, OutOfStock when a
SKU's total available reaches zero). Callers run it inside transaction.atomic().
"""

import logging
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from functools import wraps

from django.db import OperationalError, transaction
from django.utils import timezone

from flowmart.contracts import inventory as contract
from flowmart.events import publish

from .models import StockLevel, StockMovement, Warehouse

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


class StockBook:
    """The locked stock rows of one transaction and the changes made to them."""

    def __init__(self, levels: list[StockLevel]):
        self.rows: dict[tuple[str, str], StockLevel] = {(lv.sku, lv.warehouse.code): lv for lv in levels}
        self._before = {key: lv.on_hand - lv.reserved for key, lv in self.rows.items()}
        self._dirty: dict[int, StockLevel] = {}
        self.movements: list[StockMovement] = []
        self.touched: set[str] = set()

    @classmethod
    def lock(cls, skus: Iterable[str], ensure: Iterable[tuple[str, Warehouse]] = ()) -> "StockBook":
        """Lock every row of `skus` in pk order; `ensure` creates missing (sku, warehouse) rows first."""
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

    @property
    def levels(self) -> list[StockLevel]:
        return list(self.rows.values())

    def level(self, sku: str, warehouse_code: str) -> StockLevel | None:
        return self.rows.get((sku, warehouse_code))

    def change(self, kind: str, level: StockLevel, *, on_hand: int = 0, reserved: int = 0, **note) -> StockMovement:
        """Apply deltas to a locked row and write its ledger line. The CHECK constraints
        reject the write if this would make anything negative or over-reserved."""
        level.on_hand += on_hand
        level.reserved += reserved
        level.updated_at = timezone.now()
        self._dirty[level.pk] = level
        self.touched.add(level.sku)
        movement = StockMovement(
            kind=kind,
            sku=level.sku,
            warehouse=level.warehouse,
            on_hand_delta=on_hand,
            reserved_delta=reserved,
            on_hand_after=level.on_hand,
            reserved_after=level.reserved,
            reason=note.get("reason", "")[:255],
            reference=note.get("reference", "")[:120],
            order_id=note.get("order_id"),
        )
        self.movements.append(movement)
        return movement

    def flush(self) -> None:
        dirty = list(self._dirty.values())
        if len(dirty) == 1:
            lv = dirty[0]
            StockLevel.objects.filter(pk=lv.pk).update(
                on_hand=lv.on_hand, reserved=lv.reserved, updated_at=lv.updated_at
            )
        elif dirty:
            StockLevel.objects.bulk_update(dirty, ["on_hand", "reserved", "updated_at"])
        if self.movements:
            StockMovement.objects.bulk_create(self.movements)
        self._dirty.clear()

    def total_available(self, sku: str) -> int:
        return sum(lv.on_hand - lv.reserved for (s, _), lv in self.rows.items() if s == sku)

    def level_payload(self) -> tuple[contract.StockLevel, ...]:
        return tuple(contract.StockLevel(sku=sku, available=self.total_available(sku)) for sku in sorted(self.touched))

    def alerts(self) -> list:
        """LowStock per row crossing its threshold downward; OutOfStock (no order) for
        SKUs whose total available just reached zero."""
        events = []
        totals_before: dict[str, int] = defaultdict(int)
        for (sku, _), before in self._before.items():
            totals_before[sku] += before
        for (sku, code), lv in self.rows.items():
            before, after, threshold = self._before[(sku, code)], lv.on_hand - lv.reserved, lv.low_stock_threshold
            if threshold > 0 and before > threshold >= after:
                events.append(contract.LowStock(sku=sku, warehouse_code=code, available=after, threshold=threshold))
        emptied = sorted(sku for sku in self.touched if totals_before[sku] > 0 and self.total_available(sku) == 0)
        if emptied:
            events.append(contract.OutOfStock(order_id=None, amendment_id=None, skus=tuple(emptied)))
        return events

    def commit(self, reason: str, *, order_id=None, amendment_id=None, allocations=(), reference="", extra=()) -> None:
        """Write everything and publish InventoryAdjusted (+ alerts, + `extra` events)."""
        self.flush()
        adjusted = contract.InventoryAdjusted(
            reason=reason,
            order_id=order_id,
            amendment_id=amendment_id,
            allocations=tuple(allocations),
            levels=self.level_payload(),
            reference=reference,
        )
        publish(adjusted, *self.alerts(), *extra)


def allocation(sku: str, quantity: int, warehouse: Warehouse) -> contract.Allocation:
    return contract.Allocation(
        sku=sku, quantity=quantity, warehouse_code=warehouse.code, warehouse_country=warehouse.country
    )
