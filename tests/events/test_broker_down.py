"""Broker down at commit: the request succeeds at once, the deliveries wait in the
outbox, and the sweep delivers them exactly once when the broker is back."""

import time
import uuid
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from flowmart.celery import app
from flowmart.events import relay
from flowmart.events.models import Delivery, OutboxEvent
from tests.probe.models import ProbeRecord
from tests.support.worker import wait_until


@pytest.mark.worker
@override_settings(ROOT_URLCONF="tests.events.urls")
def test_request_succeeds_with_the_broker_down_and_the_sweep_delivers_later(celery_worker, dead_broker, client):
    with dead_broker():
        started = time.monotonic()
        response = client.post("/probe/publish/?note=broker+down")
        elapsed = time.monotonic() - started
        assert relay.sweep() == 0  # nothing is due yet: the grace period covers a slow broker

    assert response.status_code == 201
    assert elapsed < 1.0, f"publishing against a dead broker took {elapsed:.2f}s"
    event_id = uuid.UUID(response.json()["event_id"])
    assert OutboxEvent.objects.filter(event_id=event_id).exists()
    deliveries = Delivery.objects.filter(event__event_id=event_id)
    time.sleep(1)  # a message that had somehow reached the worker would have run by now
    assert set(deliveries.values_list("status", "attempts")) == {("pending", 0)}
    assert not ProbeRecord.objects.exists()

    # The broker is back (the real one, with the worker on it) and the grace period is over.
    deliveries.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert relay.sweep() == 3
    wait_until(lambda: deliveries.filter(status="done").count() == 3)
    assert sorted(ProbeRecord.objects.values_list("subscriber", flat=True)) == ["first", "flaky", "second"]

    # Another sweep, later, finds nothing to do and changes nothing.
    deliveries.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert relay.sweep() == 0
    time.sleep(0.5)
    assert ProbeRecord.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_enqueue_swallows_a_dead_broker_quickly(dead_broker, caplog):
    """The on-commit nudge against a dead broker: logged, not raised, and quick."""
    app.conf.task_always_eager = False
    try:
        with dead_broker():
            started = time.monotonic()
            relay.enqueue(list(range(1, 121)))  # three batches, each refused
            elapsed = time.monotonic() - started
    finally:
        app.conf.task_always_eager = True
    assert elapsed < 2.0, f"three refused sends took {elapsed:.2f}s"
    warnings = [r.getMessage() for r in caplog.records if r.name == "flowmart.events"]
    assert warnings == [
        f"could not enqueue {n} deliveries (Error 111 connecting to 127.0.0.1:1. Connection refused.); "
        "the sweep will resend"
        for n in (50, 50, 20)
    ]
