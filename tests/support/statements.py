"""Counting a subscriber's own SQL statements for the query-budget tests."""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext


def own_statements(run) -> list[str]:
    """The statements `run` sends, inside a transaction as a delivery, less the outbox's."""
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        run()
    return [q["sql"] for q in captured.captured_queries if '"events_' not in q["sql"]]


def budget(statements: list[str], expected: int) -> None:
    """Exactly `expected` statements; on failure, the statements themselves."""
    assert len(statements) == expected, "\n".join(f"{i + 1}. {sql[:160]}" for i, sql in enumerate(statements))
