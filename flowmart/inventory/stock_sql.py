"""The StockBook's two statements on PostgreSQL: one to lock and read, one to write.

A reservation used to cost a round trip per step (lock the stock rows, ask "already
reserved?", insert the reservations, update the stock rows, insert the ledger lines).
Here the lock is one raw SELECT … FOR UPDATE that reads plain tuples (no model instances,
no ORM statement building), and every write of the transaction — stock rows, ledger lines,
new and changed reservations, and the "first time for this order?" check — is one
statement of data-modifying CTEs, each reading its rows from one JSON parameter.

The stock UPDATE is a compare-and-set: it changes a row only where on_hand and reserved
still hold the numbers the lock read. Under the lock they always do; if one ever did not,
the counts returned differ and the transaction is rolled back instead of writing a ledger
that disagrees with the stock. The CHECK constraints stay the last line of defence.
"""

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.db import connection

from .models import ClosedOrder, Reservation, StockLevel, StockMovement, Warehouse


class StockChangedUnderLock(RuntimeError):
    """A locked row did not hold the numbers read under the lock: nothing is written."""


@dataclass(slots=True)
class Site:
    """The warehouse columns routing and events need (a Warehouse without the model)."""

    pk: int
    code: str
    country: str
    latitude: object
    longitude: object


@dataclass(slots=True)
class Row:
    """One locked stock row, with StockLevel's attribute names so StockBook treats both alike."""

    pk: int
    sku: str
    on_hand: int
    reserved: int
    low_stock_threshold: int
    warehouse: Site
    updated_at: object = None


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@functools.cache
def _lock_statement() -> str:
    return (
        "SELECT s.id, s.sku, s.on_hand, s.reserved, s.low_stock_threshold,"
        " w.id, w.code, w.country, w.latitude, w.longitude"
        f" FROM {_table(StockLevel)} s JOIN {_table(Warehouse)} w ON w.id = s.warehouse_id"
        " WHERE s.sku = ANY(%s) ORDER BY s.id FOR UPDATE OF s"
    )


def lock(skus: list[str]) -> list[Row]:
    """Lock every row of `skus` in primary-key order (the order every service locks in)."""
    with connection.cursor() as cursor:
        cursor.execute(_lock_statement(), [skus])
        fetched = cursor.fetchall()
    sites: dict[int, Site] = {}
    rows = []
    for pk, sku, on_hand, reserved, threshold, wh_pk, code, country, lat, lon in fetched:
        site = sites.get(wh_pk)
        if site is None:
            site = sites[wh_pk] = Site(wh_pk, code, country, lat, lon)
        rows.append(Row(pk, sku, on_hand, reserved, threshold, site))
    return rows


# Each part names its CTE, and how it is made conditional on the order's first reservation.
FIRST_FOR_ORDER = (
    "done AS (SELECT EXISTS (SELECT 1 FROM {reservation} WHERE order_id = %s AND amendment_id IS NULL)"
    " OR EXISTS (SELECT 1 FROM {closed} WHERE order_id = %s) AS yes)"
)
LEVELS = (
    "levels AS (UPDATE {stock} s SET on_hand = v.on_hand, reserved = v.reserved, updated_at = %s"
    " FROM json_to_recordset(%s::json)"
    " AS v(id bigint, on_hand integer, reserved integer, on_hand_was integer, reserved_was integer)"
    " WHERE s.id = v.id AND s.on_hand = v.on_hand_was AND s.reserved = v.reserved_was{guard} RETURNING s.id)"
)
LEDGER = (
    "ledger AS (INSERT INTO {movement} (kind, sku, warehouse_id, on_hand_delta, reserved_delta,"
    " on_hand_after, reserved_after, reason, reference, order_id, created_at)"
    " SELECT v.kind, v.sku, v.warehouse_id, v.on_hand_delta, v.reserved_delta, v.on_hand_after,"
    " v.reserved_after, v.reason, v.reference, v.order_id, %s"
    " FROM json_to_recordset(%s::json) AS v(n integer, kind text, sku text, warehouse_id bigint,"
    " on_hand_delta integer, reserved_delta integer, on_hand_after integer, reserved_after integer,"
    " reason text, reference text, order_id bigint)"
    " WHERE true{guard} ORDER BY v.n RETURNING 1)"
)
HELD = (
    "held AS (INSERT INTO {reservation} (order_id, sku, warehouse_id, quantity, status, expires_at,"
    " amendment_id, destination_country, created_at, updated_at)"
    " SELECT v.order_id, v.sku, v.warehouse_id, v.quantity, v.status, v.expires_at, v.amendment_id,"
    " v.destination_country, %s, %s"
    " FROM json_to_recordset(%s::json) AS v(n integer, order_id bigint, sku text, warehouse_id bigint,"
    " quantity integer, status text, expires_at timestamptz, amendment_id text, destination_country text)"
    " WHERE true{guard} ORDER BY v.n RETURNING 1)"
)
CHANGED = (
    "changed AS (UPDATE {reservation} r SET status = v.status, quantity = v.quantity, updated_at = %s"
    " FROM json_to_recordset(%s::json) AS v(id bigint, status text, quantity integer)"
    " WHERE r.id = v.id{guard} RETURNING r.id)"
)
# The fields of a ledger line and of a new reservation, as StockBook notes them.
LEDGER_FIELDS = (
    "kind",
    "sku",
    "warehouse_id",
    "on_hand_delta",
    "reserved_delta",
    "on_hand_after",
    "reserved_after",
    "reason",
    "reference",
    "order_id",
)
CREATED_FIELDS = (
    "order_id",
    "sku",
    "warehouse_id",
    "quantity",
    "status",
    "expires_at",
    "amendment_id",
    "destination_country",
)


def write(book, *, first_for_order: int | None) -> bool:
    """Write the book's changes in one statement. With `first_for_order`, only if that order
    has no reservation yet and was never released (checked under the book's locks, in the
    same statement); returns False when it had, and then nothing was written.

    The rows travel as one JSON document per table (json_to_recordset): quoting a JSON
    string costs a fraction of binding each value of each row as its own parameter."""
    parts, params, expect = [], [], []
    if first_for_order is not None:
        parts.append("done")
        params += [first_for_order, first_for_order]
    if book.dirty:
        parts.append("levels")
        rows = [
            {"id": lv.pk, "on_hand": lv.on_hand, "reserved": lv.reserved, "on_hand_was": was[0], "reserved_was": was[1]}
            for lv in book.dirty.values()
            for was in (book.was[lv.pk],)
        ]
        params += [book.now, _json(rows)]
        expect.append(len(rows))
    if book.movements:
        parts.append("ledger")
        params += [book.now, _json(_records(LEDGER_FIELDS, book.movements))]
        expect.append(len(book.movements))
    if book.created:
        parts.append("held")
        params += [book.now, book.now, _json(_records(CREATED_FIELDS, book.created))]
        expect.append(len(book.created))
    if book.changed:
        parts.append("changed")
        rows = [{"id": r.pk, "status": _plain(r.status), "quantity": r.quantity} for r in book.changed]
        params += [book.now, _json(rows)]
        expect.append(len(rows))
    if not parts:
        return True
    with connection.cursor() as cursor:
        cursor.execute(_write_statement(tuple(parts)), params)
        already, *written = cursor.fetchone()
    if already:
        return False
    if written != expect:
        raise StockChangedUnderLock(f"wrote {written} rows of {expect}: a locked row changed underneath")
    return True


def _records(fields: tuple[str, ...], rows: list[tuple]) -> list[dict]:
    """Rows as JSON objects, numbered so the INSERT keeps their order (and so their ids)."""
    return [{"n": n, **dict(zip(fields, row, strict=True))} for n, row in enumerate(rows)]


def _json(rows: list[dict]) -> str:
    return json.dumps(rows, default=_encode, separators=(",", ":"))


def _encode(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@functools.cache
def _write_statement(parts: tuple[str, ...]) -> str:
    """The statement for one combination of parts (a handful exist; each is built once)."""
    names = {
        "reservation": _table(Reservation),
        "closed": _table(ClosedOrder),
        "stock": _table(StockLevel),
        "movement": _table(StockMovement),
    }
    guarded = parts[0] == "done"
    guard = " AND NOT (SELECT yes FROM done)" if guarded else ""
    ctes = ", ".join(PARTS[name].format(guard=guard, **names) for name in parts)
    counts = "".join(f", (SELECT count(*) FROM {name})" for name in parts if name != "done")
    return f"WITH {ctes} SELECT {'(SELECT yes FROM done)' if guarded else 'false'}{counts}"


PARTS = {"done": FIRST_FOR_ORDER, "levels": LEVELS, "ledger": LEDGER, "held": HELD, "changed": CHANGED}


def _plain(value):
    """A status travels as its text (psycopg would dump an Enum member by name)."""
    return value.value if isinstance(value, Enum) else value
