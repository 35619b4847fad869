"""A reservation on PostgreSQL that holds the hot stock rows' lock only from its write to COMMIT.

Routing needs the stock numbers before it can choose which rows to change, so a reservation
used to lock the SKUs' rows first (SELECT … FOR UPDATE) and keep them locked across the
routing in Python, the write and the event. On one hot SKU every reservation queued on that
lock for all of it. Here a reservation is two statements of its own:

1. `read`: take the order's advisory lock and read the SKUs' rows without locking them.
   Routing plans on those numbers, which another reservation may change before ours writes.
2. `write`: one statement that locks every row of the SKUs in primary-key order (the order
   every service locks in; FOR UPDATE in READ COMMITTED waits, then returns the latest
   committed version), checks under that lock that each planned row still has the units, and
   only then changes the planned rows *relatively* (reserved = reserved + delta, RETURNING the
   new numbers), appends the ledger lines from that RETURNING (so on_hand_after/reserved_after
   are the real numbers after) and inserts the reservations. It returns the locked rows'
   numbers before and after, so the caller builds the events from what is really there, or,
   when the plan no longer holds, plans again on them under the lock it now has.

Why the advisory lock: the "first time for this order?" guard (no reservation of the order,
no ClosedOrder row) used to be serialised by the stock lock. Now the rows are locked inside
the write statement, whose snapshot is taken when it starts, before it waits on them, so a
second reservation of the same order could pass the guard before the first one commits. The
order's advisory lock, taken by the first statement and held to COMMIT, makes the second one
wait there; in READ COMMITTED each statement takes a new snapshot, so its write statement,
which starts after the lock is granted, sees the first one's committed reservations and its
guard says "done". The guard must therefore never move into the read statement (whose snapshot
predates the wait).
"""

import functools
from dataclasses import dataclass

from django.db import connection

from . import stock_sql
from .models import ClosedOrder, Reservation, StockLevel, StockMovement

ADVISORY_NAMESPACE = 0x496E7631  # "Inv1": inventory's own advisory-lock space (per order)


@dataclass(slots=True)
class Written:
    """What the write statement found: `done` (the order was reserved or released before),
    `held` (every planned row still had the units; then the changes are written), and every
    stock row of the SKUs as it was under the lock, with `after` its numbers after the write."""

    done: bool
    held: bool
    rows: list[stock_sql.Row]
    after: dict[int, tuple[int, int]]


def read(order_id: int, skus: list[str]) -> list[stock_sql.Row]:
    """Take the order's advisory lock (until the transaction ends) and read the SKUs' rows,
    unlocked, in one round trip. The read's snapshot may predate the wait on the lock: only
    routing uses these numbers, and the write checks them again under the row locks."""
    with connection.cursor() as cursor:
        cursor.execute(_read_statement(), [ADVISORY_NAMESPACE, order_id % 2**31, skus])
        return stock_sql.to_rows(row for row in cursor.fetchall() if row[0] is not None)


@functools.cache
def _read_statement() -> str:
    # The lock sits on the preserved side of a LEFT JOIN: it is taken even when no row matches
    # (then the one row returned is all NULL).
    return (
        "SELECT r.* FROM (SELECT pg_advisory_xact_lock(%s, %s)) AS held(x)"
        f" LEFT JOIN ({stock_sql.read_statement()}) AS r ON true ORDER BY r.id"
    )


# Each data-modifying CTE names `ok` in its WHERE, so none can write before the lock and the
# check have run (and none writes if the check fails or the order was seen before).
WRITE = (
    "WITH done AS (SELECT EXISTS (SELECT 1 FROM {reservation} WHERE order_id = %s AND amendment_id IS NULL)"
    " OR EXISTS (SELECT 1 FROM {closed} WHERE order_id = %s) AS yes),"
    " locked AS MATERIALIZED ({read} FOR UPDATE OF s),"
    " planned AS MATERIALIZED (SELECT * FROM json_to_recordset(%s::json) AS v(n integer, id bigint, kind text,"
    " sku text, warehouse_id bigint, on_hand_delta integer, reserved_delta integer, reason text,"
    " reference text, order_id bigint)),"
    # An aggregate over every locked row: the lock is taken on all of them before `ok` is known.
    " ok AS MATERIALIZED (SELECT NOT (SELECT yes FROM done)"
    " AND count(p.id) = (SELECT count(*) FROM planned)"
    " AND coalesce(bool_and(p.id IS NULL OR (l.on_hand + p.on_hand_delta >= l.reserved + p.reserved_delta"
    " AND l.reserved + p.reserved_delta >= 0)), false) AS yes"
    " FROM locked l LEFT JOIN planned p ON p.id = l.id),"
    " levels AS (UPDATE {stock} s SET on_hand = s.on_hand + p.on_hand_delta,"
    " reserved = s.reserved + p.reserved_delta, updated_at = %s"
    " FROM planned p WHERE s.id = p.id AND (SELECT yes FROM ok) RETURNING s.id, s.on_hand, s.reserved),"
    " ledger AS (INSERT INTO {movement} (kind, sku, warehouse_id, on_hand_delta, reserved_delta,"
    " on_hand_after, reserved_after, reason, reference, order_id, created_at)"
    " SELECT p.kind, p.sku, p.warehouse_id, p.on_hand_delta, p.reserved_delta, a.on_hand, a.reserved,"
    " p.reason, p.reference, p.order_id, %s FROM planned p JOIN levels a ON a.id = p.id"
    " WHERE (SELECT yes FROM ok) ORDER BY p.n RETURNING 1),"
    " {held}"
    " SELECT (SELECT yes FROM done), (SELECT yes FROM ok), (SELECT count(*) FROM levels),"
    " (SELECT count(*) FROM ledger), (SELECT count(*) FROM held), l.*, a.on_hand, a.reserved"
    " FROM (VALUES (1)) AS one(x) LEFT JOIN locked l ON true LEFT JOIN levels a ON a.id = l.id ORDER BY l.id"
)


@functools.cache
def _write_statement() -> str:
    tables = {
        "reservation": stock_sql.table(Reservation),
        "closed": stock_sql.table(ClosedOrder),
        "stock": stock_sql.table(StockLevel),
        "movement": stock_sql.table(StockMovement),
    }
    held = stock_sql.HELD.format(guard=" AND (SELECT yes FROM ok)", **tables)
    return WRITE.format(read=stock_sql.read_statement(), held=held, **tables)


def write(book, *, order_id: int) -> Written:
    """Write the book's changes (one ledger line per changed row, as a reservation notes them)
    if the order is new and every changed row can still take its change under the lock."""
    levels = {(lv.sku, lv.warehouse.pk): lv.pk for lv in book.levels}
    ledger = stock_sql.records(stock_sql.LEDGER_FIELDS, book.movements)
    for line in ledger:
        line["id"] = levels[(line["sku"], line["warehouse_id"])]
    if len({line["id"] for line in ledger}) != len(ledger):
        raise ValueError("a relative write takes one change per stock row (routing picks a row once)")
    params = [
        order_id,
        order_id,
        book.unlocked,
        stock_sql.as_json(ledger),
        book.now,
        book.now,
        book.now,
        book.now,
        stock_sql.as_json(stock_sql.records(stock_sql.CREATED_FIELDS, book.created)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_write_statement(), params)
        fetched = cursor.fetchall()
    done, held, *written = fetched[0][:5]
    rows = [row[5:] for row in fetched if row[5] is not None]
    if held and written != [len(ledger), len(ledger), len(book.created)]:
        raise stock_sql.StockChangedUnderLock(f"wrote {written} rows for {len(ledger)} changes")
    after = {row[0]: (row[-2], row[-1]) for row in rows if row[-2] is not None}
    return Written(done=done, held=held, rows=stock_sql.to_rows(rows), after=after)
