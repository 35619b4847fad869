"""A real Celery worker on the Redis broker delivers to every subscriber, once."""

import pytest
from django.db import transaction

from flowmart.common.correlation import correlation
from flowmart.events import publish
from flowmart.events import tasks as event_tasks
from flowmart.events.models import Delivery, InboxRecord
from tests.events.conftest import wait_until_broker_drained
from tests.probe.handlers import ProbeHappened
from tests.probe.models import ProbeRecord
from tests.support.worker import wait_until


def effects(ev):
    return sorted(ProbeRecord.objects.filter(event_id=ev.event_id).values_list("subscriber", flat=True))


def inbox(ev):
    return sorted(InboxRecord.objects.filter(event_id=ev.event_id).values_list("subscriber", flat=True))


def redeliver(delivery_ids, copies=1):
    """Send the same deliver message `copies` times and wait for the worker to run each."""
    for _ in range(copies):
        event_tasks.deliver.apply_async(args=[delivery_ids])
    wait_until_broker_drained()


@pytest.mark.worker
def test_worker_delivers_one_event_to_each_subscriber_and_redelivery_changes_nothing(celery_worker):
    with transaction.atomic():
        ev = ProbeHappened(note="via broker")
        publish(ev)
    deliveries = Delivery.objects.filter(event__event_id=ev.event_id)
    wait_until(lambda: deliveries.filter(status="done").count() == 3)

    subscribers = ["probe.record_first", "probe.record_flaky", "probe.record_second"]
    assert effects(ev) == ["first", "flaky", "second"]
    assert inbox(ev) == sorted(subscribers)
    before = sorted(deliveries.values_list("subscriber", "status", "attempts", "delivered_at"))
    ids = list(deliveries.values_list("pk", flat=True))

    # The broker hands the same message over again (at-least-once): the rows are done, nothing runs.
    redeliver(ids, copies=2)
    assert effects(ev) == ["first", "flaky", "second"]
    assert sorted(deliveries.values_list("subscriber", "status", "attempts", "delivered_at")) == before

    # A delivery row that lost its "done" (say the worker died after the subscriber's commit):
    # it is delivered again, concurrently by both worker processes, and the inbox absorbs it.
    deliveries.update(status=Delivery.Status.PENDING, delivered_at=None)
    redeliver(ids, copies=2)
    assert set(deliveries.values_list("status", "last_error")) == {("done", "already processed")}
    assert effects(ev) == ["first", "flaky", "second"]
    assert inbox(ev) == sorted(subscribers)


@pytest.mark.worker
def test_worker_delivers_many_events_published_in_one_transaction(celery_worker):
    with transaction.atomic():
        events = [ProbeHappened(note=f"batch {i}") for i in range(60)]  # more than one enqueue batch
        publish(*events)
    wait_until(lambda: Delivery.objects.filter(status="done").count() == 180, timeout=30)
    assert ProbeRecord.objects.count() == 180
    assert InboxRecord.objects.count() == 180


@pytest.mark.worker
def test_worker_log_lines_carry_the_events_correlation_id(celery_worker, broken_flaky):
    with correlation("worker-story-9"), transaction.atomic():
        ev = ProbeHappened(note="logged by the worker")
        publish(ev)
    flaky = Delivery.objects.filter(event__event_id=ev.event_id, subscriber="probe.record_flaky")
    wait_until(lambda: flaky.filter(attempts=1).exists())
    failure = wait_until(
        lambda: [line for line in celery_worker.log.read_text().splitlines() if "probe.record_flaky failed" in line]
    )
    assert "[worker-story-9]" in failure[0]
    assert str(ev.event_id) in failure[0]
