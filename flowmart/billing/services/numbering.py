"""Gapless numbering per series. The counter row is locked (SELECT ... FOR UPDATE) in the
issuing transaction and incremented there, so the number commits or rolls back together with
its document: concurrent issuers queue on the row, and a failed issue gives its number back."""

from datetime import datetime

from django.db import connection

from ..models import Series

PREFIXES = {"invoice": "INV", "credit_note": "CN"}


def series_name(kind: str, issued_at: datetime) -> str:
    """One series per kind and calendar year (UTC): INV-2026, CN-2026."""
    return f"{PREFIXES[kind]}-{issued_at.year}"


def take_next(series: str) -> str:
    """The series' next number, e.g. "INV-2026-000042". Call inside the issuing transaction."""
    table = connection.ops.quote_name(Series._meta.db_table)
    with connection.cursor() as cursor:
        # One statement: create the series at 1, or take its row lock and count on (PostgreSQL and
        # SQLite both have upserts with RETURNING); the lock is held until the issuer commits.
        cursor.execute(
            f"INSERT INTO {table} (name, last_number) VALUES (%s, 1) "
            "ON CONFLICT (name) DO UPDATE SET last_number = excluded.last_number + "
            f"{table}.last_number RETURNING last_number",
            [series],
        )
        (number,) = cursor.fetchone()
    return f"{series}-{number:06d}"
