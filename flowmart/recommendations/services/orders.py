"""Counting paid orders: co-purchase pairs and trend scores, once per order.

An order's lines are remembered from OrderConfirmed (replaced by OrderAmended until it is
counted); it is counted when it is both confirmed and paid, whichever event comes first, and
never again (a dispute's on_hold → paid does not count it twice). A paid order cancelled
later stays counted: it still says what shoppers buy together.

Cost per order is bounded: at most MAX_PRODUCTS_PER_ORDER products (the ones with the most
units), so at most n·(n−1) pair rows (both directions) in one INSERT … ON CONFLICT, and one
UPDATE for the trends of its products. Rows are touched in key order, so concurrent orders never deadlock."""

import math
from collections import Counter
from datetime import datetime

from django.conf import settings
from django.db import connection

from ..models import CoPurchase, Order, Product, Sku
from ..trend import log_weight


def max_products_per_order() -> int:
    return settings.RECOMMENDATIONS_MAX_PRODUCTS_PER_ORDER


def _upsert(order_id: int, changes: str, *, lines=None, confirmed=False, paid_at=None) -> Order | None:
    """One INSERT … ON CONFLICT DO UPDATE … RETURNING for the order's row (created if unheard
    of, locked until commit), on PostgreSQL and SQLite alike. `changes` is the SET clause over
    the stored row `o` and the new one `excluded`; it sets `counted_at` when this event makes
    the order both confirmed and paid. Applied only while the order is not counted: None for
    an order counted before (its row is left as it is)."""
    table = connection.ops.quote_name(Order._meta.db_table)
    lines_value = Order._meta.get_field("lines").get_db_prep_value(lines or {}, connection)
    paid_value = connection.ops.adapt_datetimefield_value(paid_at)
    rows = Order.objects.raw(
        f"INSERT INTO {table} AS o (order_id, lines, confirmed, paid_at) VALUES (%s, %s, %s, %s) "
        f"ON CONFLICT (order_id) DO UPDATE SET {changes} WHERE o.counted_at IS NULL RETURNING *",
        [order_id, lines_value, confirmed, paid_value],
    )
    return next(iter(rows), None)


def order_confirmed(order_id: int, lines: dict[str, int]) -> None:
    order = _upsert(
        order_id,
        "lines = excluded.lines, confirmed = excluded.confirmed, counted_at = o.paid_at",
        lines=lines,
        confirmed=True,
    )
    _count(order)


def order_amended(order_id: int, lines: dict[str, int]) -> None:
    # Not confirmed by an amendment alone: only OrderConfirmed makes the order countable.
    _upsert(order_id, "lines = excluded.lines", lines=lines)


def order_paid(order_id: int, at: datetime) -> None:
    """The first payment counts (a dispute's on_hold → paid keeps it); a counted order is done."""
    order = _upsert(
        order_id,
        "paid_at = COALESCE(o.paid_at, excluded.paid_at), "
        "counted_at = CASE WHEN o.confirmed THEN COALESCE(o.paid_at, excluded.paid_at) END",
        paid_at=at,
    )
    _count(order)


def _count(order: Order | None) -> None:
    """Count the order that the upsert just marked counted (`counted_at`, in this transaction:
    were the counting to fail, the mark rolls back with it)."""
    if order is None or order.counted_at is None:
        return
    units = _units_per_product(order.lines)
    _count_pairs(sorted(units))
    _add_trend(units, order.paid_at)


def _units_per_product(lines: dict[str, int]) -> dict[int, int]:
    """Units per known product, capped to the products with the most units (ties: lower id)."""
    units: Counter[int] = Counter()
    for sku, product_id in Sku.objects.filter(sku__in=list(lines), product_id__isnull=False).values_list(
        "sku", "product_id"
    ):
        units[product_id] += int(lines[sku])
    kept = sorted(units.items(), key=lambda item: (-item[1], item[0]))[: max_products_per_order()]
    return dict(kept)


def _count_pairs(product_ids: list[int]) -> None:
    pairs = [(a, b) for a in product_ids for b in product_ids if a != b]
    if not pairs:
        return
    table = CoPurchase._meta.db_table
    values = ", ".join(["(%s, %s, 1)"] * len(pairs))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (product_id, other_id, count) VALUES {values} "
            f"ON CONFLICT (product_id, other_id) DO UPDATE SET count = {table}.count + 1",
            [value for pair in pairs for value in pair],
        )


def _add_trend(units: dict[int, int], at: datetime) -> None:
    """trend ← log(exp(trend) + quantity · 2^(t/half-life)), computed stably as a log-sum-exp
    (the exponent is clamped: PostgreSQL's exp() raises on underflow, and e^-700 adds nothing).
    Several rows are locked in key order first (no deadlock between orders); then one UPDATE for all of them."""
    if not units:
        return
    base = log_weight(at)
    ids = sorted(units)
    if connection.vendor != "postgresql":  # the embedded default (SQLite): the same sum, row by row
        return _add_trend_per_row(units, base, ids)
    table = Product._meta.db_table
    values = ", ".join(["(%s::bigint, %s::float8)"] * len(ids))
    with connection.cursor() as cursor:
        if len(ids) > 1:  # one row needs no order: the UPDATE locks it
            cursor.execute(f"SELECT 1 FROM {table} WHERE product_id = ANY(%s) ORDER BY product_id FOR UPDATE", [ids])
        cursor.execute(
            f"UPDATE {table} AS p SET trend = CASE WHEN p.trend IS NULL THEN v.w "
            f"ELSE GREATEST(p.trend, v.w) + LN(1 + EXP(-LEAST(ABS(p.trend - v.w), 700))) END "
            f"FROM (VALUES {values}) AS v(id, w) WHERE p.product_id = v.id",
            [x for pid in ids for x in (pid, base + math.log(units[pid]))],
        )


def _add_trend_per_row(units: dict[int, int], base: float, ids: list[int]) -> None:
    """_add_trend without PostgreSQL's FOR UPDATE / UPDATE … FROM: one save per product."""
    for product in Product.objects.select_for_update().filter(product_id__in=ids).order_by("product_id"):
        w = base + math.log(units[product.product_id])
        t = product.trend
        product.trend = w if t is None else max(t, w) + math.log1p(math.exp(-min(abs(t - w), 700)))
        product.save(update_fields=["trend"])
