"""Gapless numbering under real concurrency: threads, each on its own PostgreSQL connection,
issue invoices at once (some for the same order, some rolled back after taking a number), and
the series still counts 1..n with no gap and no duplicate, one invoice per order."""

import pytest
from django.db import transaction
from django.utils import timezone

from flowmart.billing.models import Document, Series
from flowmart.billing.services import issuing, projections
from tests.billing.conftest import confirmed, deliver, paid
from tests.support import threads

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = 12


class Abandoned(Exception):
    """Raised after issuing, so the whole issuing transaction rolls back."""


def run_at_once(jobs) -> list[Exception]:
    """What the jobs raised, run together; an abandoned issue's rollback is the point, not an error."""
    return [exc for exc in threads.run_at_once(*jobs) if not isinstance(exc, Abandoned)]


def abandoned_issue(order_id):
    """Hears the order was paid and issues its invoice, then fails: everything rolls back."""
    with transaction.atomic():
        projections.record_paid(order_id, f"FM-{order_id}", 7, "ada@example.com", timezone.now())
        assert issuing.settle(order_id)  # took a number...
        raise Abandoned  # ...and gives it back


def test_parallel_issuing_never_skips_nor_repeats_a_number():
    for order_id in [*range(1, ORDERS + 1), 99]:
        deliver(confirmed(order_id))
    jobs = [lambda o=o: deliver(paid(o)) for o in range(1, ORDERS + 1)]
    jobs += [lambda o=o: deliver(paid(o)) for o in range(1, ORDERS + 1, 3)]  # the same orders twice at once
    jobs += [lambda: abandoned_issue(99)] * 2
    assert run_at_once(jobs) == []
    assert not Document.objects.filter(order_id=99).exists()
    deliver(paid(99))

    series = f"INV-{timezone.now().year}"
    numbers = sorted(Document.objects.filter(kind="invoice").values_list("number", flat=True))
    assert numbers == [f"{series}-{n:06d}" for n in range(1, ORDERS + 2)]
    assert sorted(Document.objects.values_list("order_id", flat=True)) == [*range(1, ORDERS + 1), 99]
    assert Series.objects.get(name=series).last_number == ORDERS + 1
    assert Document.objects.get(order_id=99).number == f"{series}-{ORDERS + 1:06d}"
