"""The sweep is safe to run twice at once (two beats, a manual `events sweep` during a
beat tick): each due delivery is claimed by exactly one of them."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from flowmart.celery import app
from flowmart.events import publish, relay
from flowmart.events.models import Delivery
from tests.events.conftest import DEAD_BROKER_URL, broker_at
from tests.probe.handlers import ProbeHappened
from tests.probe.models import ProbeRecord


def pending_backlog(events: int) -> None:
    """Deliveries that never reached a worker (broker down at commit), now due."""
    app.conf.task_always_eager = False
    try:
        with broker_at(DEAD_BROKER_URL), transaction.atomic():
            publish(*[ProbeHappened(note=f"backlog {i}") for i in range(events)])
    finally:
        app.conf.task_always_eager = True
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_share_the_work_and_deliver_each_once():
    pending_backlog(40)
    barrier = threading.Barrier(2)
    claimed, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            claimed.append(relay.sweep())
        except Exception as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors, errors
    assert sum(claimed) == 120  # 40 events × 3 subscribers, none claimed twice
    assert set(Delivery.objects.values_list("status", "attempts")) == {("done", 1)}
    assert ProbeRecord.objects.count() == 120
    assert relay.sweep() == 0


@pytest.mark.django_db(transaction=True)
def test_sweep_command_resends_due_deliveries(capsys):
    pending_backlog(2)
    call_command("events", "sweep")
    assert "6 deliveries re-sent" in capsys.readouterr().out
    assert ProbeRecord.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_sweep_respects_the_limit_and_takes_the_oldest_first():
    pending_backlog(4)
    oldest = list(Delivery.objects.order_by("pk").values_list("pk", flat=True)[:3])
    Delivery.objects.filter(pk__in=oldest).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert relay.sweep(limit=3) == 3
    assert set(Delivery.objects.filter(status="done").values_list("pk", flat=True)) == set(oldest)
    assert relay.sweep() == 9
