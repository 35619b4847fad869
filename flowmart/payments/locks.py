"""The per-order advisory lock that serialises payments' handlers of one order.

PaymentInitiated and InventoryAdjusted may be handled at the same moment by two workers: each
would insert its half uncommitted, not see the other's, and the charge would never start.
A transaction-scoped advisory lock per order makes the second handler wait and then see the
first one's rows (READ COMMITTED). Whoever writes what a charge reads under this lock (the
order's signals, its discount) takes it first, so a read under it stays true until commit."""

from django.db import connection

ADVISORY_NAMESPACE = 0x50617931  # "Pay1": payments' own advisory-lock space


def lock_order(order_id: int) -> None:
    """Hold the order's lock until the transaction ends (PostgreSQL; SQLite has one writer)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_NAMESPACE, order_id % 2**31])
