"""A delivery's claim and inbox row: the dispatcher's one statement per delivery (relay.py runs it
first in each delivery's transaction or savepoint)."""

import functools

from django.db import transaction
from django.utils import timezone

from .models import Delivery, InboxRecord
from .savepoints import Savepoint


def claim_and_record(
    delivery_id: int, event_id, subscriber_name: str, savepoint: Savepoint | None = None
) -> tuple[bool, bool]:
    """Claim the delivery and record its inbox row, inside the delivering transaction:
    (claimed, recorded). Not claimed: done or dead meanwhile, nothing written. Claimed but
    not recorded: the subscriber already handled the event.

    The claim marks a pending delivery done; its row lock makes a concurrent copy of the same
    message wait, then find it no longer pending. The inbox row is inserted unless it exists
    (ON CONFLICT DO NOTHING, so a duplicate does not abort the transaction). On PostgreSQL both
    are one statement (the INSERT reads the UPDATE's RETURNING, so nothing is inserted for a
    delivery not claimed): one round trip per delivery instead of two. Plain SQL: this runs
    once per delivery, and the ORM's query building was a fifth of it.

    The savepoint's SAVEPOINT, when not sent yet, goes in the same round trip: "SAVEPOINT sN;
    WITH claimed ..." as one simple query (psycopg's ClientCursor, Django's default, sends a
    query with its parameters bound client-side that way; its first result is the SAVEPOINT's,
    nextset() moves to the claim's). A cursor binding on the server cannot take two
    statements: the SAVEPOINT is then sent on its own, first."""
    connection = transaction.get_connection()
    now = timezone.now()
    claim_sql, inbox_sql, together_sql = claim_statements()
    open_savepoint = savepoint.unsent() if savepoint is not None else None
    if connection.vendor == "postgresql":  # psycopg takes the aware datetime and the UUID as they are
        params = [_DONE, now, delivery_id, _PENDING, event_id, subscriber_name, now]
        with connection.cursor() as cursor:
            if open_savepoint is None:
                cursor.execute(together_sql, params)
            elif _binds_on_client(cursor):
                # Bound first, then prefixed: psycopg parses a query with parameters once per
                # distinct text (an LRU cache), and each savepoint's name is new.
                cursor.execute(f"{open_savepoint}; {cursor.mogrify(together_sql, params)}")
                cursor.nextset()
            else:
                # Bound on the server, one execute() takes one statement: psycopg's pipeline
                # sends both before it waits, and the claim stays a prepared statement.
                with connection.connection.pipeline():
                    cursor.execute(open_savepoint)
                    cursor.execute(together_sql, params)
            claimed, recorded = cursor.fetchone()
        return claimed == 1, recorded == 1
    if open_savepoint is not None:  # not on SQLite (savepoints.py), kept for any other backend
        with connection.cursor() as cursor:
            cursor.execute(open_savepoint)
    claim = [_DONE, prep_datetime(Delivery, "delivered_at", now, connection), delivery_id, _PENDING]
    inbox = [
        InboxRecord._meta.get_field("event_id").get_db_prep_value(event_id, connection),
        subscriber_name,
        prep_datetime(InboxRecord, "processed_at", now, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(claim_sql, claim)
        if cursor.rowcount != 1:
            return False, False
        cursor.execute(inbox_sql, inbox)
        return True, cursor.rowcount == 1


def _binds_on_client(cursor) -> bool:
    """Django's psycopg cursor binds parameters on the client (ClientCursor) when the database's
    OPTIONS leave server_side_binding off (DB_PREPARED_STATEMENTS=0): then one execute() can
    carry two statements."""
    import psycopg

    return isinstance(cursor.cursor, psycopg.ClientCursor)


_DONE, _PENDING = Delivery.Status.DONE.value, Delivery.Status.PENDING.value


def prep_datetime(model, field: str, value, connection):
    return model._meta.get_field(field).get_db_prep_value(value, connection)


@functools.cache
def claim_statements() -> tuple[str, str, str]:
    """The claim, the inbox row, and both in one statement (PostgreSQL), built once
    (PostgreSQL and SQLite quote names alike)."""
    deliveries, inbox = f'"{Delivery._meta.db_table}"', f'"{InboxRecord._meta.db_table}"'
    claim = (
        f"UPDATE {deliveries} SET status = %s, attempts = attempts + 1, delivered_at = %s, last_error = '' "
        "WHERE id = %s AND status = %s"
    )
    record = f"INSERT INTO {inbox} (event_id, subscriber, processed_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
    together = (
        f"WITH claimed AS ({claim} RETURNING id), "
        f"recorded AS (INSERT INTO {inbox} (event_id, subscriber, processed_at) "
        "SELECT %s::uuid, %s::varchar, %s::timestamptz FROM claimed ON CONFLICT DO NOTHING RETURNING 1) "
        "SELECT (SELECT count(*) FROM claimed), (SELECT count(*) FROM recorded)"
    )
    return claim, record, together
