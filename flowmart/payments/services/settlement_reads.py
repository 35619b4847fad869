"""What `settlements.sync_order` reads of an order, in as few statements as is safe.

On PostgreSQL the payment's row lock is one plain statement and the order's settlement row and
its booked sale postings are a second one, read after the lock is held: a statement's snapshot
is taken when it starts, so a read merged into the locking statement would not see what the
lock's previous holder committed (an amendment's lines, its postings) if it had to wait. Other
databases read through the ORM (SQLite has one writer at a time)."""

import json
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from ..models import LedgerEntry, OrderSettlement, Payment

A = LedgerEntry.Account
NOT_COMPONENTS = (A.CUSTOMER_RECEIVABLE, A.REFUNDS, A.DISPUTES)  # the other side of the postings
COMPONENT_NAMES = {A.COMMISSION: "commission", A.TAX: "tax", A.SHIPPING: "shipping"}  # else the seller's


def locked_payment(order_id: int) -> Payment | None:
    """The order's payment, its row locked until the transaction ends."""
    if connection.vendor != "postgresql":
        return Payment.objects.select_for_update().filter(order_id=order_id).first()
    ops, fields = connection.ops, Payment._meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(ops.quote_name(f.column) for f in fields)} "
            f"FROM {ops.quote_name(Payment._meta.db_table)} WHERE order_id = %s FOR UPDATE",
            [order_id],
        )
        row = cursor.fetchone()
    # PostgreSQL hands every Payment column back as its field holds it (inet as text): no converters.
    return None if row is None else Payment.from_db(connection.alias, [f.attname for f in fields], row)


def settlement_and_sales(order_id: int) -> tuple[OrderSettlement | None, dict]:
    """The order's settlement row and booked(order_id, "sale"), in one statement on PostgreSQL
    (the settlement LEFT JOINed with the postings' sums: one row per booked component)."""
    if connection.vendor != "postgresql":
        return OrderSettlement.objects.filter(order_id=order_id).first(), booked(order_id, LedgerEntry.Kind.SALE)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id, s.currency, s.total, s.lines, s.as_of, b.account, b.seller_id, b.net "
            f"FROM {quote(OrderSettlement._meta.db_table)} s LEFT JOIN ("
            "SELECT account, seller_id, SUM(credit) - SUM(debit) AS net "
            f"FROM {quote(LedgerEntry._meta.db_table)} WHERE order_id = %s AND kind = %s "
            "AND account NOT IN (%s, %s, %s) GROUP BY account, seller_id) b ON TRUE WHERE s.order_id = %s",
            [order_id, LedgerEntry.Kind.SALE.value, *NOT_COMPONENTS, order_id],
        )
        rows = cursor.fetchall()
    if not rows:
        return None, {}
    pk, currency, total, lines, as_of = rows[0][:5]
    settlement = OrderSettlement.from_db(
        connection.alias,
        ["id", "order_id", "currency", "total", "lines", "as_of"],
        [pk, order_id, currency, total, json.loads(lines), as_of],  # jsonb comes back as text
    )
    return settlement, _by_component(row[5:] for row in rows if row[5] is not None)


def booked(order_id: int, kind: str) -> dict:
    """Per component, what `kind` postings of the order hold (credit − debit)."""
    rows = (
        LedgerEntry.objects.filter(order_id=order_id, kind=kind)
        .exclude(account__in=NOT_COMPONENTS)
        .values_list("account", "seller_id")
        .annotate(net=Sum("credit") - Sum("debit"))
    )
    return _by_component(rows)


def _by_component(rows) -> dict:
    """(account, seller_id, credit − debit) rows as settlements' components: (kind, seller_id)."""
    out = defaultdict(Decimal)
    for account, seller_id, net in rows:
        name = COMPONENT_NAMES.get(account, "seller")
        out[(name, seller_id if name in ("seller", "commission") else None)] += net
    return out
