"""Empty the test database after a transactional test by deleting the rows it left, not by
truncating every table.

Django ends each `transaction=True` test with `flush`: one TRUNCATE of all ~150 tables, which
gives every table and index a new file and took 1.3 s on an idle machine and 4–8 s under the
suite's load, for each of some 160 such tests. Most tests touch a few dozen tables. One
query finds the tables that hold a row, and a DELETE each empties them (Django's foreign keys
are deferred, so the order does not matter): the same empty database, in tens of milliseconds.

Content types and permissions are kept: `flush` would re-create the same rows at once
(post_migrate), and the staff roles' groups that point at them are deleted like any row."""

from django.core.management.commands import flush

KEPT = frozenset({"django_content_type", "auth_permission"})
_django_sql_flush = flush.sql_flush


def install() -> None:
    flush.sql_flush = sql_flush


def sql_flush(style, connection, reset_sequences=True, allow_cascade=False):
    """The statements `flush` runs. A test asking for its sequences reset (reset_sequences=True
    on the test) gets Django's own TRUNCATE … RESTART IDENTITY."""
    if reset_sequences or connection.vendor != "postgresql":
        return _django_sql_flush(style, connection, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    tables = sorted(set(connection.introspection.django_table_names(only_existing=True)) - KEPT)
    quote = connection.ops.quote_name
    probe = " UNION ALL ".join(f"(SELECT %s FROM {quote(table)} LIMIT 1)" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(probe, tables)
        holding = [table for (table,) in cursor.fetchall()]
    return [f"DELETE FROM {quote(table)}" for table in holding]
