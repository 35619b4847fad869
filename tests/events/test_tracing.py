"""The trace context inside events: an event remembers the span that created it, and each of
its deliveries runs in a span that continues that trace (flowmart.common.tracing)."""

import json
import uuid

import pytest
from django.db import transaction
from opentelemetry.trace import SpanKind, StatusCode

from flowmart.common import tracing
from flowmart.events import publish
from flowmart.events.base import Event
from flowmart.events.models import Delivery, OutboxEvent
from flowmart.events.registry import register, subscriber_id, unregister
from tests.probe.handlers import ProbeHappened
from tests.support.tracing import recorded_spans


def traceparent_of(span) -> str:
    context = span.get_span_context()
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


@subscriber_id("probe_tracing.follow_up")
def follow_up(ev: ProbeHappened):
    """A subscriber that publishes in turn, as the saga's subscribers do."""
    if ev.note == "root":
        publish(ProbeHappened(note="follow-up"))


@pytest.fixture
def follow_up_subscriber():
    register("probe_tracing", {ProbeHappened: [follow_up]})
    yield
    unregister("probe_tracing.follow_up")


def test_an_event_carries_the_span_that_created_it_and_round_trips_it():
    with recorded_spans() as rec:
        with rec.tracer.start_as_current_span("checkout") as span:
            ev = ProbeHappened(note="traced")
        outside = ProbeHappened(note="no span")
    assert ev.traceparent == traceparent_of(span)
    assert outside.traceparent is None  # no current span: nothing to continue
    restored = Event.from_dict(json.loads(json.dumps(ev.to_dict())))
    assert restored == ev and restored.traceparent == ev.traceparent
    assert "traceparent" not in ev.payload()  # envelope, not payload
    assert [s.name for s in rec.spans()] == ["checkout"]


def test_an_event_stored_before_traces_were_carried_has_none_not_the_readers():
    old = ProbeHappened(note="old").to_dict()
    del old["traceparent"]
    with recorded_spans() as rec, rec.tracer.start_as_current_span("delivering"):
        assert tracing.current_traceparent() is not None
        loaded = Event.from_dict(old)
    assert loaded.traceparent is None and loaded.note == "old"


def test_a_delivery_span_is_the_publishing_spans_child_linked_to_the_task_running_it():
    with recorded_spans() as rec:
        with rec.tracer.start_as_current_span("web request") as request:
            ev = ProbeHappened(note="x", causation_id="cause-1")
        with rec.tracer.start_as_current_span("task run") as task:
            with tracing.delivery_span(ev, "probe.record_first"):
                assert tracing.current_traceparent().split("-")[1] == f"{request.get_span_context().trace_id:032x}"
            with pytest.raises(RuntimeError), tracing.delivery_span(ev, "probe.record_flaky"):
                raise RuntimeError("flaky subscriber is broken")
    spans = {s.name: s for s in rec.spans()}
    ok, failed = (
        spans["deliver ProbeHappened to probe.record_first"],
        spans["deliver ProbeHappened to probe.record_flaky"],
    )
    for span in (ok, failed):
        assert span.kind == SpanKind.CONSUMER
        assert span.context.trace_id == request.get_span_context().trace_id
        assert span.parent.span_id == request.get_span_context().span_id
        assert [link.context.span_id for link in span.links] == [task.get_span_context().span_id]
        assert span.attributes["messaging.message.id"] == str(ev.event_id)
        assert span.attributes["messaging.message.conversation_id"] == ev.correlation_id
        assert span.attributes["flowmart.causation_id"] == "cause-1"
    assert ok.attributes["flowmart.subscriber"] == "probe.record_first"
    assert ok.status.status_code == StatusCode.UNSET
    assert failed.status.status_code == StatusCode.ERROR
    assert [e.name for e in failed.events] == ["exception"]


def test_an_event_without_trace_context_is_delivered_under_the_task_span():
    ev = ProbeHappened(note="published while tracing was off")
    assert ev.traceparent is None
    with (
        recorded_spans() as rec,
        rec.tracer.start_as_current_span("task run") as task,
        tracing.delivery_span(ev, "probe.record_first"),
    ):
        pass
    delivery = next(s for s in rec.spans() if s.name.startswith("deliver"))
    assert delivery.parent.span_id == task.get_span_context().span_id
    assert delivery.links == ()


@pytest.mark.django_db(transaction=True)
def test_publish_deliver_publish_deliver_is_one_trace(follow_up_subscriber):
    """Eager deliveries: the subscriber's follow-up event continues the trace of the root's
    publisher, and every outbox row stores its traceparent."""
    with (
        recorded_spans(reconnect=True) as rec,
        rec.tracer.start_as_current_span("web request") as request,
        transaction.atomic(),
    ):
        publish(ProbeHappened(note="root"))
    trace_id = f"{request.get_span_context().trace_id:032x}"
    rows = {row.payload["note"]: row for row in OutboxEvent.objects.all()}
    assert set(rows) == {"root", "follow-up"}
    assert rows["root"].payload["traceparent"] == traceparent_of(request)
    assert rows["follow-up"].payload["traceparent"].split("-")[1] == trace_id

    spans = rec.spans()
    by_id = {s.context.span_id: s for s in spans}
    deliveries = [s for s in spans if s.name.startswith("deliver ")]
    done = Delivery.objects.filter(status=Delivery.Status.DONE)
    assert sorted(s.name for s in deliveries) == sorted(
        f"deliver ProbeHappened to {d.subscriber}" for d in done.select_related("event")
    )
    assert {f"{s.context.trace_id:032x}" for s in deliveries} == {trace_id}
    # The follow-up's deliveries hang under the delivery that published it.
    publisher = by_id[int(rows["follow-up"].payload["traceparent"].split("-")[2], 16)]
    assert publisher.name == "deliver ProbeHappened to probe_tracing.follow_up"
    followers = [s for s in deliveries if s.parent.span_id == publisher.context.span_id]
    assert len(followers) == done.filter(event=rows["follow-up"]).count() > 0
    [published] = publisher.events
    assert published.name == "publish" and published.attributes["flowmart.events"] == ("ProbeHappened",)
    assert published.attributes["messaging.message.id"] == (str(rows["follow-up"].event_id),)
    # Each subscriber's own statements are spans inside its delivery span.
    statements = [s for s in spans if s.attributes.get("db.system") == "postgresql"]
    assert any(by_id.get(s.parent.span_id) in deliveries for s in statements if s.parent)


@pytest.mark.django_db(transaction=True)
def test_with_tracing_off_events_carry_none_and_hooks_are_free():
    assert not tracing.enabled()
    with transaction.atomic():
        publish(ProbeHappened(note="untraced"))
    row = OutboxEvent.objects.get()
    assert row.payload["traceparent"] is None
    ev = row.to_event()
    # The same shared no-op for every delivery: nothing is allocated, nothing recorded.
    assert tracing.delivery_span(ev, "a") is tracing.delivery_span(ev, "b")
    assert Delivery.objects.filter(status=Delivery.Status.DONE).count() == 3


def test_uninstall_leaves_nothing_installed():
    import psycopg
    from django.conf import settings

    with recorded_spans():
        assert hasattr(psycopg.connect, "__wrapped__")
        assert any("opentelemetry" in m for m in settings.MIDDLEWARE)
    assert not hasattr(psycopg.connect, "__wrapped__")
    assert not any("opentelemetry" in m for m in settings.MIDDLEWARE)
    assert ProbeHappened(note=str(uuid.uuid4())).traceparent is None
