"""publish(): the outbox row lives and dies with the caller's transaction."""

import pytest
from django.db import transaction

from flowmart.events import publish
from flowmart.events.models import Delivery, InboxRecord, OutboxEvent
from flowmart.events.publisher import PublishOutsideTransaction
from flowmart.events.registry import subscribers_for
from tests.probe.handlers import ProbeHappened
from tests.probe.models import ProbeRecord


class Boom(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_rollback_leaves_no_outbox_row_and_no_delivery():
    with pytest.raises(Boom), transaction.atomic():
        publish(ProbeHappened(note="doomed"))
        assert OutboxEvent.objects.count() == 1  # written in the caller's transaction...
        raise Boom
    assert not OutboxEvent.objects.exists()  # ...and gone with it
    assert not Delivery.objects.exists()
    assert not InboxRecord.objects.exists()
    assert not ProbeRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_rolled_back_savepoint_drops_only_its_own_event():
    with transaction.atomic():
        publish(ProbeHappened(note="kept"))
        with pytest.raises(Boom), transaction.atomic():
            publish(ProbeHappened(note="dropped"))
            raise Boom
    assert list(OutboxEvent.objects.values_list("payload__note", flat=True)) == ["kept"]
    assert set(ProbeRecord.objects.values_list("note", flat=True)) == {"kept"}


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(PublishOutsideTransaction, match="inside transaction.atomic"):
        publish(ProbeHappened(note="autocommit"))
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_outbox_row_and_one_delivery_per_registered_subscriber():
    with transaction.atomic():
        ev = ProbeHappened(note="rows")
        publish(ev)
        row = OutboxEvent.objects.get()
        assert row.event_id == ev.event_id
        assert (row.name, row.version, row.publisher) == ("ProbeHappened", 1, "probe")
        assert row.correlation_id == ev.correlation_id
        assert row.to_event() == ev
        assert set(row.deliveries.values_list("subscriber", flat=True)) == {
            s.name for s in subscribers_for("ProbeHappened")
        }
        assert set(row.deliveries.values_list("status", flat=True)) == {"pending"}


@pytest.mark.django_db(transaction=True)
def test_eager_mode_runs_every_subscriber_in_process_after_commit():
    """The embedded default: same outbox, same deliveries, same inbox, no broker."""
    with transaction.atomic():
        first, second = ProbeHappened(note="a"), ProbeHappened(note="b")
        publish(first, second)
        assert not ProbeRecord.objects.exists()  # nothing runs before commit
    for ev in (first, second):
        assert set(ProbeRecord.objects.filter(event_id=ev.event_id).values_list("subscriber", flat=True)) == {
            "first",
            "second",
            "flaky",
        }
        assert InboxRecord.objects.filter(event_id=ev.event_id).count() == 3
    assert set(Delivery.objects.values_list("status", "attempts")) == {("done", 1)}
    assert all(d.delivered_at >= d.event.created_at for d in Delivery.objects.select_related("event"))


@pytest.mark.django_db(transaction=True)
def test_many_events_at_once_are_copied_and_delivered_like_one():
    """From BULK_THRESHOLD events per call the rows are written with COPY: same rows, same
    deliveries, same rollback, and every subscriber runs after commit."""
    from flowmart.events.publisher import BULK_THRESHOLD

    events = [ProbeHappened(note=f"bulk-{n}") for n in range(BULK_THRESHOLD + 5)]
    with pytest.raises(Boom), transaction.atomic():
        publish(*events)
        raise Boom
    assert not OutboxEvent.objects.exists() and not Delivery.objects.exists()
    with transaction.atomic():
        publish(*events)
    rows = list(OutboxEvent.objects.order_by("id"))
    assert [row.to_event() for row in rows] == events
    per_event = len(subscribers_for("ProbeHappened"))
    assert Delivery.objects.count() == per_event * len(events)
    assert ProbeRecord.objects.filter(note__startswith="bulk-").values("note").distinct().count() == len(events)
