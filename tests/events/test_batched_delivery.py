"""A task's deliveries share a transaction, each in its own savepoint with its inbox row.

A failing subscriber rolls back alone (and the events it published with it); a duplicate has
no second effect; two workers delivering the same batch at once have each effect once; an
error that spoils the shared transaction (deadlock, lost connection, a deferred constraint at
COMMIT) sends every delivery of the batch down the one-transaction-each path, none lost.

The probe's subscribers are swapped for the handlers each test needs through the name the
relay looks them up by (`relay.subscriber`), so the wiring itself stays the probe's.
"""

import logging
import threading
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import DataError, connection, connections, transaction
from django.test import override_settings

from flowmart.events import publish, relay
from flowmart.events.models import Delivery, InboxRecord, OutboxEvent
from tests.probe.handlers import ProbeHappened
from tests.probe.models import ProbeRecord

FIRST, SECOND, FLAKY = "probe.record_first", "probe.record_second", "probe.record_flaky"
LOCK_SPACE = 0x42617463  # "Batc": this test's advisory-lock namespace


@pytest.fixture
def sent(monkeypatch):
    """publish() writes its rows but sends nothing: each test delivers with deliver_many itself.
    Returns the list of delivery-id lists that would have been enqueued."""
    calls = []
    monkeypatch.setattr(relay, "enqueue", lambda ids, names=None: calls.append(list(ids)))
    return calls


@pytest.fixture
def swap(monkeypatch):
    """{subscriber id: handler} to run instead of the probe's own for this test."""
    handlers = {}
    real = relay.subscriber
    monkeypatch.setattr(
        relay, "subscriber", lambda name: SimpleNamespace(handler=handlers[name]) if name in handlers else real(name)
    )
    return handlers


def publish_probes(*notes: str) -> list[ProbeHappened]:
    """Events published in one commit, as one task would carry their deliveries."""
    events = [ProbeHappened(note=note) for note in notes]
    with transaction.atomic():
        publish(*events)
    return events


def deliveries(*events, subscribers=(FIRST, SECOND, FLAKY)) -> list[int]:
    return list(
        Delivery.objects.filter(event__event_id__in=[e.event_id for e in events], subscriber__in=subscribers)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def effects(ev, subscriber: str) -> int:
    return ProbeRecord.objects.filter(event_id=ev.event_id, subscriber=subscriber).count()


def inbox(ev, subscriber: str) -> bool:
    return InboxRecord.objects.filter(event_id=ev.event_id, subscriber=subscriber).exists()


def state(pk: int) -> tuple[str, int]:
    return tuple(Delivery.objects.filter(pk=pk).values_list("status", "attempts").get())


def record(short_name: str):
    def handler(ev):
        ProbeRecord.objects.create(subscriber=short_name, event_id=ev.event_id, note=ev.note)

    return handler


def record_transaction(short_name: str):
    """Records the id of the transaction the handler runs in."""

    def handler(ev):
        with connection.cursor() as cursor:
            cursor.execute("SELECT txid_current()")
            txid = str(cursor.fetchone()[0])
        ProbeRecord.objects.create(subscriber=short_name, event_id=ev.event_id, note=txid)

    return handler


def advisory_lock(key: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, key])


def in_threads(*targets) -> list:
    """Run each target in a thread of its own (its own PostgreSQL connection), all at once."""
    start = threading.Barrier(len(targets))
    results, errors = [None] * len(targets), []

    def run(i, target):
        try:
            start.wait(timeout=10)
            results[i] = target()
        except Exception as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_in_the_middle_of_a_batch_rolls_back_alone(sent, broken_flaky):
    one, two = publish_probes("one", "two")
    ids = deliveries(one, two)  # one's first, second, flaky (fails), then two's three
    flaky_one, flaky_two = deliveries(one, subscribers=[FLAKY])[0], deliveries(two, subscribers=[FLAKY])[0]

    results = relay.deliver_many(ids)

    assert [results[pk] for pk in ids] == ["done", "done", "pending", "done", "done", "pending"]
    for ev in (one, two):
        assert effects(ev, "first") == effects(ev, "second") == 1
        assert inbox(ev, FIRST) and inbox(ev, SECOND)
        assert effects(ev, "flaky") == 0 and not inbox(ev, FLAKY)
    for pk in (flaky_one, flaky_two):
        delivery = Delivery.objects.get(pk=pk)
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert "flaky subscriber is broken" in delivery.last_error
        assert delivery.next_attempt_at is not None

    broken_flaky.fix()
    assert relay.deliver_many([flaky_one, flaky_two]) == {flaky_one: "done", flaky_two: "done"}
    assert effects(one, "flaky") == effects(two, "flaky") == 1


@pytest.mark.django_db(transaction=True)
def test_one_commits_deliveries_share_a_transaction_up_to_the_configured_size(sent, swap):
    for name in (FIRST, SECOND, FLAKY):
        swap[name] = record_transaction(name)

    def transactions(**events_settings) -> list[str]:
        (ev,) = publish_probes("tx")
        with override_settings(EVENTS={**settings.EVENTS, **events_settings}):
            assert set(relay.deliver_many(deliveries(ev)).values()) == {"done"}
        return [ProbeRecord.objects.get(event_id=ev.event_id, subscriber=name).note for name in (FIRST, SECOND, FLAKY)]

    first, second, flaky = transactions(DELIVERIES_PER_TRANSACTION=10, DELIVERED_ALONE=[])
    assert first == second == flaky
    first, second, flaky = transactions(DELIVERIES_PER_TRANSACTION=2, DELIVERED_ALONE=[])
    assert first == second != flaky
    first, second, flaky = transactions(DELIVERIES_PER_TRANSACTION=1, DELIVERED_ALONE=[])
    assert len({first, second, flaky}) == 3
    # A subscriber delivered alone (by id, or its whole context) never shares a transaction.
    first, second, flaky = transactions(DELIVERIES_PER_TRANSACTION=10, DELIVERED_ALONE=[SECOND])
    assert first == flaky != second
    first, second, flaky = transactions(DELIVERIES_PER_TRANSACTION=10, DELIVERED_ALONE=["probe"])
    assert len({first, second, flaky}) == 3


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_in_the_batch_has_no_second_effect(sent):
    old, new = publish_probes("old", "new")
    relay.deliver_many(deliveries(old))
    redelivered = deliveries(old, subscribers=[SECOND])[0]
    Delivery.objects.filter(pk=redelivered).update(status="pending")  # e.g. restored from an old backup

    results = relay.deliver_many([*deliveries(old), *deliveries(new)])

    assert results[redelivered] == "done"
    assert Delivery.objects.get(pk=redelivered).last_error == "already processed"
    assert effects(old, "second") == 1
    assert effects(new, "first") == effects(new, "second") == effects(new, "flaky") == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_batch_at_once_have_each_effect_once(sent):
    events = publish_probes("slow one", "slow two")  # record_second sleeps: the batches overlap
    ids = deliveries(*events)

    results = in_threads(lambda: relay.deliver_many(ids), lambda: relay.deliver_many(ids))

    for pk in ids:
        assert sorted(r[pk] for r in results) == ["done", "skipped"]
        assert state(pk) == ("done", 1)
    for ev in events:
        for name in ("first", "second", "flaky"):
            assert effects(ev, name) == 1
    assert InboxRecord.objects.count() == len(ids)


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_between_two_batches_falls_back_to_one_transaction_each(sent, swap, caplog):
    """Each batch locks two keys in the opposite order of the other: PostgreSQL kills one
    transaction; its deliveries (the one that did succeed too) are delivered again alone."""
    a, b = publish_probes("1,2", "2,1")
    meet, met = threading.Barrier(2, timeout=10), set()

    def lock_first_key(ev):
        advisory_lock(int(ev.note.split(",")[0]))
        if ev.event_id not in met:  # both hold their first key before either asks for its second
            met.add(ev.event_id)
            meet.wait()
        record("first")(ev)

    def lock_second_key(ev):
        advisory_lock(int(ev.note.split(",")[1]))
        record("second")(ev)

    swap.update({FIRST: lock_first_key, SECOND: lock_second_key})
    batch_a, batch_b = deliveries(a, subscribers=[FIRST, SECOND]), deliveries(b, subscribers=[FIRST, SECOND])

    with caplog.at_level(logging.WARNING, logger="flowmart.events"):
        results = in_threads(lambda: relay.deliver_many(batch_a), lambda: relay.deliver_many(batch_b))

    assert [set(r.values()) for r in results] == [{"done"}, {"done"}]
    for pk in batch_a + batch_b:
        assert state(pk) == ("done", 1)
    for ev in (a, b):
        assert effects(ev, "first") == effects(ev, "second") == 1
        assert inbox(ev, FIRST) and inbox(ev, SECOND)
    assert "DeadlockDetected" in caplog.text or "deadlock detected" in caplog.text
    assert "delivering each alone" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_lost_connection_mid_batch_loses_no_delivery(sent, swap, caplog):
    (ev,) = publish_probes("cut")
    cut = []

    def cut_the_connection_once(ev):
        if not cut:
            cut.append(True)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        record("second")(ev)

    swap[SECOND] = cut_the_connection_once
    ids = deliveries(ev)

    with caplog.at_level(logging.WARNING, logger="flowmart.events"):
        results = relay.deliver_many(ids)

    assert cut and set(results.values()) == {"done"}
    for pk in ids:
        assert state(pk) == ("done", 1)
    assert effects(ev, "first") == effects(ev, "second") == effects(ev, "flaky") == 1
    assert "delivering each alone" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_constraint_failing_at_commit_fails_only_its_own_delivery(sent, swap):
    """Foreign keys are checked at COMMIT on PostgreSQL: the shared transaction's commit fails,
    so each delivery is run again alone, and only the guilty one fails."""
    (ev,) = publish_probes("dangling")

    def write_a_dangling_reference(ev):
        record("second")(ev)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Delivery._meta.db_table} (event_id, subscriber, status, attempts, next_attempt_at,"
                " last_error, created_at) VALUES (%s, 'nobody.none', 'done', 0, now(), '', now())",
                [OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() + 10_000],
            )

    swap[SECOND] = write_a_dangling_reference
    first, second, flaky = deliveries(ev)

    results = relay.deliver_many([first, second, flaky])

    assert results == {first: "done", second: "pending", flaky: "done"}
    assert state(second) == ("pending", 1)
    assert "IntegrityError" in Delivery.objects.get(pk=second).last_error
    assert effects(ev, "first") == effects(ev, "flaky") == 1
    assert effects(ev, "second") == 0 and not inbox(ev, SECOND)


@pytest.mark.django_db(transaction=True)
def test_events_published_by_a_subscriber_that_then_fails_are_never_sent(sent, swap):
    """The on_commit nudge registered inside a rolled-back savepoint is discarded with it;
    the nudge of a neighbour that succeeded is sent once the shared transaction commits."""
    (parent,) = publish_probes("parent")

    def publish_then_succeed(ev):
        publish(ProbeHappened(note="child of first"))
        record("first")(ev)

    def publish_then_fail(ev):
        publish(ProbeHappened(note="child of second"))
        raise RuntimeError("second failed after publishing")

    swap.update({FIRST: publish_then_succeed, SECOND: publish_then_fail})
    first, second, flaky = deliveries(parent)
    sent.clear()

    results = relay.deliver_many([first, second, flaky])

    assert results == {first: "done", second: "pending", flaky: "done"}
    assert not OutboxEvent.objects.filter(payload__note="child of second").exists()
    child = OutboxEvent.objects.get(payload__note="child of first")
    assert sent == [list(child.deliveries.order_by("pk").values_list("pk", flat=True))]
    assert state(second) == ("pending", 1)


@pytest.mark.django_db(transaction=True)
def test_a_subscriber_that_swallows_a_database_error_fails_instead_of_vanishing(sent, swap):
    """A handler that catches a database error inside atomic(savepoint=False) leaves its block
    marked for rollback: that is recorded as its failure, not as a silent "done"."""
    (ev,) = publish_probes("swallow")

    def swallow(ev):
        record("second")(ev)
        try:
            with transaction.atomic(savepoint=False), connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")
        except DataError:
            pass

    swap[SECOND] = swallow
    first, second, flaky = deliveries(ev)

    results = relay.deliver_many([first, second, flaky])

    assert results == {first: "done", second: "pending", flaky: "done"}
    assert "swallowed a database error" in Delivery.objects.get(pk=second).last_error
    assert effects(ev, "second") == 0 and not inbox(ev, SECOND)
    assert effects(ev, "first") == effects(ev, "flaky") == 1
