"""A failing subscriber is retried with growing backoff, then dead; the others are
not held up; replay (admin action or command) delivers it once, after the fix."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from flowmart.events import publish, relay
from flowmart.events.models import Delivery, InboxRecord, OutboxEvent
from tests.probe.handlers import ProbeHappened
from tests.probe.models import ProbeRecord

MAX_ATTEMPTS = 4
SMALL_RETRIES = {**settings.EVENTS, "MAX_ATTEMPTS": MAX_ATTEMPTS, "BACKOFF_BASE_SECONDS": 2, "BACKOFF_CAP_SECONDS": 5}


def publish_probe(note="retry me"):
    with transaction.atomic():
        ev = ProbeHappened(note=note)
        publish(ev)
    return ev


def flaky_delivery(ev) -> Delivery:
    return Delivery.objects.get(event__event_id=ev.event_id, subscriber="probe.record_flaky")


def retry_due_now(delivery: Delivery) -> None:
    """Move the clock past the delivery's next attempt, then let the sweep resend it."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert relay.sweep() == 1


def drive_to_dead(ev) -> list[float]:
    """Fail the flaky delivery until it is dead; return each wait the relay scheduled."""
    waits = []
    delivery = flaky_delivery(ev)
    while delivery.status == Delivery.Status.PENDING:
        failed_at = timezone.now()
        waits.append((delivery.next_attempt_at - failed_at).total_seconds())
        retry_due_now(delivery)
        delivery.refresh_from_db()
    return waits


def effects(ev, subscriber):
    return ProbeRecord.objects.filter(event_id=ev.event_id, subscriber=subscriber).count()


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS=SMALL_RETRIES)
def test_failing_subscriber_backs_off_then_dies_without_holding_up_the_others(broken_flaky):
    ev = publish_probe()

    delivery = flaky_delivery(ev)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "flaky subscriber is broken" in delivery.last_error
    assert not InboxRecord.objects.filter(event_id=ev.event_id, subscriber="probe.record_flaky").exists()
    # The other subscribers finished on the first try.
    done = Delivery.objects.filter(event__event_id=ev.event_id, status="done")
    assert sorted(done.values_list("subscriber", flat=True)) == ["probe.record_first", "probe.record_second"]
    assert effects(ev, "first") == effects(ev, "second") == 1

    # Not due yet: the sweep leaves it alone.
    assert relay.sweep() == 0

    waits = drive_to_dead(ev)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("dead", MAX_ATTEMPTS)
    # Waits after attempts 1, 2, 3: 2s, 4s, then capped at 5s, each with ±10% jitter.
    assert len(waits) == MAX_ATTEMPTS - 1
    for wait, expected in zip(waits, [2, 4, 5], strict=True):
        assert expected * 0.9 - 0.5 <= wait <= expected * 1.1, waits
    assert waits[0] < waits[1]
    assert effects(ev, "flaky") == 0
    assert relay.sweep() == 0  # dead is final until someone replays it


@pytest.mark.django_db(transaction=True)
def test_backoff_grows_exponentially_up_to_the_cap():
    with override_settings(EVENTS={**settings.EVENTS, "BACKOFF_BASE_SECONDS": 2, "BACKOFF_CAP_SECONDS": 60}):
        waits = [relay.backoff(n).total_seconds() for n in range(1, 9)]
    for n, wait in enumerate(waits, start=1):
        expected = min(60, 2 * 2 ** (n - 1))
        assert expected * 0.9 <= wait <= expected * 1.1


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS=SMALL_RETRIES)
def test_admin_replay_delivers_a_dead_delivery_once_after_the_fix(broken_flaky, client):
    ev = publish_probe()
    drive_to_dead(ev)
    delivery = flaky_delivery(ev)
    broken_flaky.fix()

    admin = get_user_model().objects.create_superuser(email="ops@example.com", password="S3cure-pass-123")
    client.force_login(admin)
    changelist = reverse("admin:events_delivery_changelist")
    assert client.get(changelist, {"status__exact": "dead"}).status_code == 200
    response = client.post(changelist, {"action": "replay_dead", "_selected_action": [delivery.pk]})
    assert response.status_code == 302

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("done", 1, "")
    assert effects(ev, "flaky") == 1
    # Replaying again, or sweeping, has nothing left to do.
    client.post(changelist, {"action": "replay_dead", "_selected_action": [delivery.pk]})
    assert relay.sweep() == 0
    assert effects(ev, "flaky") == 1
    assert effects(ev, "first") == effects(ev, "second") == 1


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS=SMALL_RETRIES)
def test_replay_command_delivers_dead_deliveries_once(broken_flaky, capsys):
    by_id, by_event, by_all = publish_probe("by id"), publish_probe("by event"), publish_probe("all dead")
    for ev in (by_id, by_event, by_all):
        drive_to_dead(ev)
    broken_flaky.fix()

    call_command("events", "replay", str(flaky_delivery(by_id).pk))
    assert "1 dead deliveries queued again" in capsys.readouterr().out
    assert (flaky_delivery(by_id).status, effects(by_id, "flaky")) == ("done", 1)
    assert flaky_delivery(by_event).status == "dead"  # only the named one

    call_command("events", "replay", "--event", str(by_event.event_id), "--subscriber", "probe.record_flaky")
    assert (flaky_delivery(by_event).status, effects(by_event, "flaky")) == ("done", 1)

    call_command("events", "replay", "--dead")
    assert (flaky_delivery(by_all).status, effects(by_all, "flaky")) == ("done", 1)
    assert not Delivery.objects.filter(status="dead").exists()

    call_command("events", "replay", "--dead")  # nothing dead any more: no second effect
    assert "0 dead deliveries queued again" in capsys.readouterr().out
    assert ProbeRecord.objects.filter(subscriber="flaky").count() == 3


@pytest.mark.django_db(transaction=True)
def test_replay_command_needs_a_selection():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--dead"):
        call_command("events", "replay")


@pytest.mark.django_db(transaction=True)
@override_settings(EVENTS={**SMALL_RETRIES, "MAX_ATTEMPTS": 2})
def test_an_unreadable_event_is_retried_then_dead_without_blocking_its_batch():
    """A payload no contract can read (an unknown or since-removed event) must not make
    the sweep resend it forever, nor stop the rest of the batch."""
    good = publish_probe("readable")
    good_ids = list(Delivery.objects.filter(event__event_id=good.event_id).values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=good_ids).update(status="pending")
    InboxRecord.objects.all().delete()
    ProbeRecord.objects.all().delete()
    poison = OutboxEvent.objects.create(
        event_id=uuid.uuid4(),
        name="RetiredEvent",
        version=1,
        publisher="nobody",
        correlation_id="poison",
        occurred_at=timezone.now(),
        payload={"name": "RetiredEvent", "version": 1},
    )
    bad = Delivery.objects.create(event=poison, subscriber="probe.record_first")

    results = relay.deliver_many([bad.pk, *good_ids])
    assert results[bad.pk] == "pending"
    assert {results[pk] for pk in good_ids} == {"done"}
    bad.refresh_from_db()
    assert (bad.attempts, bad.last_error) == (1, "UnknownEvent: RetiredEvent")
    assert relay.deliver(bad.pk) == "dead"
