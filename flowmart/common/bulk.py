"""Bulk writes for the few paths that insert thousands of rows per transaction (a billing
run's renewals and their outbox events): PostgreSQL COPY instead of an INSERT with one bound
parameter per value, whose client-side quoting costs more than the database's work.

`copy_insert` takes the ids from the table's sequence first (one query), so the caller gets
them back as `bulk_create` would give them. Anything not on PostgreSQL falls back to
`bulk_create` (SQLite, the embedded default)."""

from django.db import connection, models


def copy_insert(model: type[models.Model], fields: list[str], rows: list[tuple]) -> list[int]:
    """Insert `rows` (values of `fields`, in order) into the model's table; returns their ids.
    Runs in the caller's transaction; no signals, no save(), no field defaults: pass every
    NOT NULL column."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create([model(**dict(zip(fields, row, strict=True))) for row in rows])
        return [obj.pk for obj in objs]
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in ["id", *fields])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [meta.db_table, len(rows)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *row))
    return ids
