"""Inserting a row that may be there already, in one statement.

A handler that must not write a row twice (a payment per order, an attempt or a dummy intent
per idempotency key) used to read first and insert when nothing was found: two statements,
and a savepoint where a concurrent insert was possible. INSERT … ON CONFLICT (key) DO NOTHING
RETURNING id does both at once on PostgreSQL and SQLite alike, and a concurrent inserter of
the same key waits for the other's commit and then does nothing, instead of failing."""

from django.db import connection, models


def insert_new(obj: models.Model, key: str) -> bool:
    """Insert `obj` unless a row with its `key` (a unique column) exists; True when inserted,
    and then `obj` is saved (its pk set) as save() would leave it. No signals, like bulk_create."""
    return insert_returning(obj, key) is not None


def insert_returning(obj: models.Model, key: str, also: str = "", params: list | tuple = ()) -> tuple | None:
    """insert_new that also returns the values of `also` (SQL expressions of the RETURNING
    clause, with their `params`; subqueries read what was committed when the statement
    began): None when nothing was inserted."""
    meta = obj._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]  # a drawn id is the database's
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({quote(meta.get_field(key).column)}) DO NOTHING "
            f"RETURNING {quote(meta.pk.column)}{', ' + also if also else ''}",
            [*values, *params],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    obj.pk = row[0]
    obj._state.adding, obj._state.db = False, connection.alias
    return tuple(row[1:])
