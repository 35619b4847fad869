"""Gapless numbering per series. The counter row is locked (SELECT ... FOR UPDATE) in the
issuing transaction and incremented there, so the number commits or rolls back together with
its document: concurrent issuers queue on the row, and a failed issue gives its number back."""

from datetime import datetime

from ..models import Series

PREFIXES = {"invoice": "INV", "credit_note": "CN"}


def series_name(kind: str, issued_at: datetime) -> str:
    """One series per kind and calendar year (UTC): INV-2026, CN-2026."""
    return f"{PREFIXES[kind]}-{issued_at.year}"


def take_next(series: str) -> str:
    """The series' next number, e.g. "INV-2026-000042". Call inside the issuing transaction."""
    Series.objects.bulk_create([Series(name=series)], ignore_conflicts=True)  # ON CONFLICT DO NOTHING
    counter = Series.objects.select_for_update().get(name=series)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{series}-{counter.last_number:06d}"
