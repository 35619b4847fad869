"""The dispatcher's own statements on PostgreSQL, fixed so a regression fails the suite:
one statement per publish() (outbox rows and their deliveries), one per delivery for its claim
and inbox row, a savepoint (never released, sent in the same round trip as the claim) around each
delivery that shares a transaction, and one
`delivered_at` stamp per shared transaction. (The handlers' statements are counted per
subscriber in tests/flows/test_delivery_queries.py.)"""

from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from flowmart.events import claims, publish, relay
from flowmart.events.models import Delivery, InboxRecord, OutboxEvent
from flowmart.events.registry import subscribers_for
from tests.probe.handlers import ProbeHappened

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quiet(monkeypatch):
    """Nothing sent after commit, and every subscriber a handler that runs no SQL of its own."""
    monkeypatch.setattr(relay, "enqueue", lambda ids, names=None: None)
    monkeypatch.setattr(relay, "subscriber", lambda name: SimpleNamespace(handler=lambda ev: None))


def sql_of(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [q["sql"] for q in captured.captured_queries]


def published(*notes: str) -> list[int]:
    events = [ProbeHappened(note=note) for note in notes]
    with transaction.atomic():
        publish(*events)
    ids = Delivery.objects.filter(event__event_id__in=[e.event_id for e in events]).order_by("pk")
    return list(ids.values_list("pk", flat=True))


def test_a_publish_is_one_statement_with_its_deliveries_in_publishing_order(quiet):
    first, second = ProbeHappened(note="a"), ProbeHappened(note="b")
    with transaction.atomic():
        sql = sql_of(lambda: publish(first, second))

    assert len(sql) == 1, sql
    assert OutboxEvent._meta.db_table in sql[0] and Delivery._meta.db_table in sql[0]
    names = [sub.name for sub in subscribers_for("ProbeHappened")]
    rows = Delivery.objects.order_by("pk").values_list("event__event_id", "subscriber", "status", "attempts")
    assert list(rows) == [(ev.event_id, name, "pending", 0) for ev in (first, second) for name in names]
    assert [row.to_event() for row in OutboxEvent.objects.order_by("pk")] == [first, second]


def test_a_publish_nobody_subscribes_to_is_one_statement(quiet, monkeypatch):
    monkeypatch.setattr("flowmart.events.publisher.subscribers_for", lambda name: [])
    with transaction.atomic():
        sql = sql_of(lambda: publish(ProbeHappened(note="unheard")))
    assert len(sql) == 1 and OutboxEvent.objects.count() == 1 and not Delivery.objects.exists()


def test_a_delivery_alone_is_one_statement_in_its_transaction(quiet):
    pk = published("alone")[0]

    sql = sql_of(lambda: relay.deliver_many([pk]))

    read, begin, claim, commit = sql
    assert read.startswith("SELECT") and claim.startswith("WITH claimed AS")
    assert (begin, commit) == ("BEGIN", "COMMIT")
    assert Delivery.objects.get(pk=pk).status == "done" and InboxRecord.objects.count() == 1


def round_trips_of(call) -> list[list[str]]:
    """The statements a call sent, grouped by round trip: statements sent in one psycopg
    pipeline go together (a cursor binding on the client sends "SAVEPOINT sN; <claim>" as one)."""
    trips: list[list[str]] = []
    last_pipeline = []

    def record(execute, sql, params, many, context):
        pipeline = getattr(connection.connection, "_pipeline", None)
        if pipeline is not None and last_pipeline and last_pipeline[-1] is pipeline:
            trips[-1].append(sql)
        else:
            trips.append(sql.split("; ", 1) if sql.startswith("SAVEPOINT ") else [sql])
        last_pipeline.append(pipeline)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call()
    return trips


def test_deliveries_sharing_a_transaction_are_one_round_trip_each_savepoint_included(quiet):
    ids = published("together")  # three subscribers

    trips = round_trips_of(lambda: relay.deliver_many(ids))

    # batch read, 3 × (SAVEPOINT sN + claim and inbox), stamp: no RELEASE (savepoints.py); BEGIN and
    # COMMIT are not statements a cursor runs
    assert len(trips) == 1 + 3 + 1, trips
    for savepoint, claim in trips[1:4]:
        assert savepoint.startswith("SAVEPOINT ") and claim.startswith("WITH claimed AS")
    assert len({trip[0] for trip in trips[1:4]}) == 3  # a savepoint each
    assert trips[-1][0].startswith("UPDATE") and "delivered_at" in trips[-1][0]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}


@pytest.fixture
def bound_on_the_client():
    """The connection as DB_PREPARED_STATEMENTS=0 makes it: parameters bound by psycopg's ClientCursor."""
    options = connection.settings_dict["OPTIONS"]
    saved = dict(options)
    options.pop("server_side_binding", None)
    options.pop("prepare_threshold", None)
    connection.close()
    yield
    options.clear()
    options.update(saved)
    connection.close()


def test_bound_on_the_client_a_savepoint_and_its_claim_are_one_simple_query(quiet, bound_on_the_client):
    ids = published("together")

    trips = round_trips_of(lambda: relay.deliver_many(ids))

    assert len(trips) == 1 + 3 + 1, trips
    for savepoint, claim in trips[1:4]:
        assert savepoint.startswith("SAVEPOINT ") and claim.startswith("WITH claimed AS")
    assert set(Delivery.objects.values_list("status", flat=True)) == {"done"}


def test_a_failing_subscriber_rolls_back_to_the_savepoint_its_claim_sent(quiet, monkeypatch, caplog):
    """The savepoint went out with the claim, yet rolling back to it undoes that delivery
    alone: its claim, its inbox row and what its handler wrote; the others commit."""
    ids = published("one fails")  # three subscribers: the second one's handler fails

    def handler_for(name):
        def handler(ev):
            OutboxEvent.objects.filter(event_id=ev.event_id).update(payload={"written": "by the failing handler"})
            raise RuntimeError("broken")

        return SimpleNamespace(handler=handler if name == failing else lambda ev: None)

    failing = Delivery.objects.get(pk=ids[1]).subscriber
    monkeypatch.setattr(relay, "subscriber", handler_for)
    payload = OutboxEvent.objects.get().payload

    with caplog.at_level("WARNING", logger="flowmart.events"):
        sql = sql_of(lambda: relay.deliver_many(ids))

    assert [s.split()[0] for s in sql].count("ROLLBACK") == 1  # ROLLBACK TO SAVEPOINT, once
    assert "delivering each alone" not in caplog.text  # the shared transaction was not poisoned
    assert [Delivery.objects.get(pk=pk).status for pk in ids] == ["done", "pending", "done"]
    assert Delivery.objects.get(pk=ids[1]).attempts == 1 and "broken" in Delivery.objects.get(pk=ids[1]).last_error
    assert not InboxRecord.objects.filter(subscriber=failing).exists() and InboxRecord.objects.count() == 2
    assert OutboxEvent.objects.get().payload == payload


def test_a_claim_that_fails_rolls_back_to_the_savepoint_sent_before_it(quiet, monkeypatch, caplog):
    """Statements of one simple query run in order: the SAVEPOINT exists when the claim
    after it fails, so the rollback to it works and the shared transaction carries on."""
    claim, record, together = claims.claim_statements()
    failing = together.replace(
        "SELECT (SELECT count(*) FROM claimed)", "SELECT (SELECT 1 / (count(*) - 1) FROM claimed)"
    )
    monkeypatch.setattr(claims, "claim_statements", lambda: (claim, record, failing))  # division by zero
    ids = published("claims fail")

    with caplog.at_level("WARNING", logger="flowmart.events"):
        results = relay.deliver_many(ids)

    assert set(results.values()) == {"pending"} and "delivering each alone" not in caplog.text
    assert not InboxRecord.objects.exists()
    assert {(d.status, d.attempts) for d in Delivery.objects.all()} == {("pending", 1)}


def test_a_delivery_no_longer_pending_writes_no_inbox_row(quiet):
    """The inbox INSERT reads the claim's RETURNING: no claim, no row (here the inbox row was
    removed behind the dispatcher's back, so only the claim can stop it)."""
    pk = published("twice")[0]
    relay.deliver_many([pk])
    InboxRecord.objects.all().delete()

    assert relay.deliver_many([pk]) == {pk: "skipped"}
    assert not InboxRecord.objects.exists()


def test_a_claimed_delivery_whose_inbox_row_exists_is_done_without_its_handler(quiet, monkeypatch):
    ran = []
    monkeypatch.setattr(relay, "subscriber", lambda name: SimpleNamespace(handler=ran.append))
    pk = published("again")[0]
    relay.deliver_many([pk])
    Delivery.objects.filter(pk=pk).update(status="pending")  # the delivery row lost its "done"

    assert relay.deliver_many([pk]) == {pk: "done"}
    assert len(ran) == 1 and InboxRecord.objects.count() == 1
    assert Delivery.objects.filter(pk=pk).values_list("status", "attempts", "last_error").get() == (
        "done",
        2,
        "already processed",
    )
