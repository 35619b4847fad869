"""The correlation id: from X-Request-ID (or generated) to every event, every
subscriber's log line, and back out through `events trace`."""

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from flowmart.common.correlation import correlation, get_correlation_id
from flowmart.common.logging import CorrelationIdFilter
from flowmart.common.middleware import CorrelationIdMiddleware
from flowmart.events import publish
from flowmart.events.models import OutboxEvent
from flowmart.events.registry import register, subscriber_id, unregister
from tests.probe.handlers import ProbeHappened

logger = logging.getLogger("tests.probe.extra")


@subscriber_id("probe_extra.log_receipt")
def log_receipt(ev: ProbeHappened):
    logger.info("probe received %s", ev.note)


@subscriber_id("probe_extra.publish_follow_up")
def publish_follow_up(ev: ProbeHappened):
    """A subscriber that publishes in turn: the follow-up shares the correlation id."""
    if ev.note == "root":
        publish(ProbeHappened(note="follow-up"))


@pytest.fixture
def extra_subscribers():
    register("probe_extra", {ProbeHappened: [log_receipt, publish_follow_up]})
    yield
    unregister("probe_extra.log_receipt")
    unregister("probe_extra.publish_follow_up")


def run_middleware(**headers):
    seen = {}

    def view(request):
        seen["context"] = get_correlation_id()
        seen["event"] = ProbeHappened(note="in request")
        return HttpResponse("ok")

    request = RequestFactory().get("/", headers=headers)
    response = CorrelationIdMiddleware(view)(request)
    return request, response, seen


def test_middleware_adopts_the_callers_request_id_and_echoes_it():
    request, response, seen = run_middleware(**{"X-Request-ID": "req-42.a:b"})
    assert request.correlation_id == seen["context"] == "req-42.a:b"
    assert seen["event"].correlation_id == "req-42.a:b"  # events created in the request inherit it
    assert response["X-Request-ID"] == "req-42.a:b"
    assert get_correlation_id() is None  # and it does not leak past the request


@pytest.mark.parametrize("header", [None, "has spaces", "x" * 101, "<script>"])
def test_middleware_generates_an_id_when_none_or_an_unsafe_one_is_sent(header):
    _, response, seen = run_middleware(**({"X-Request-ID": header} if header else {}))
    generated = response["X-Request-ID"]
    assert generated != header and len(generated) == 32
    assert seen["context"] == seen["event"].correlation_id == generated


@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF="tests.events.urls")
def test_request_id_reaches_the_published_event_through_the_whole_stack(client):
    response = client.post("/probe/publish/", headers={"X-Request-ID": "checkout-7f3a"})
    assert response.status_code == 201
    assert response["X-Request-ID"] == "checkout-7f3a"
    assert response.json()["correlation_id"] == "checkout-7f3a"
    assert OutboxEvent.objects.get().correlation_id == "checkout-7f3a"


@pytest.mark.django_db(transaction=True)
def test_subscriber_log_lines_carry_the_events_correlation_id(extra_subscribers, caplog, broken_flaky):
    caplog.handler.addFilter(CorrelationIdFilter())
    with caplog.at_level(logging.INFO), correlation("corr-for-logs"), transaction.atomic():
        publish(ProbeHappened(note="logged"))
    # The subscribers ran after commit, outside the request's context, under the event's id.
    receipt = next(r for r in caplog.records if r.getMessage() == "probe received logged")
    assert receipt.correlation_id == "corr-for-logs"
    failure = next(r for r in caplog.records if "probe.record_flaky failed" in r.getMessage())
    assert failure.correlation_id == "corr-for-logs"


@pytest.mark.django_db(transaction=True)
def test_follow_up_events_share_the_correlation_id_and_name_their_cause(extra_subscribers):
    with correlation("saga-1"), transaction.atomic():
        root = ProbeHappened(note="root")
        publish(root)
    rows = list(OutboxEvent.objects.filter(correlation_id="saga-1").order_by("id"))
    assert [r.payload["note"] for r in rows] == ["root", "follow-up"]
    assert rows[0].causation_id is None
    assert rows[1].causation_id == str(root.event_id)


@pytest.mark.django_db(transaction=True)
def test_trace_prints_the_causal_story(extra_subscribers):
    with correlation("story-1"), transaction.atomic():
        root = ProbeHappened(note="root")
        publish(root)
    with correlation("other-story"), transaction.atomic():
        publish(ProbeHappened(note="unrelated"))
    follow_up = OutboxEvent.objects.get(payload__note="follow-up")

    out = StringIO()
    call_command("events", "trace", "story-1", stdout=out)
    lines = out.getvalue().splitlines()

    event_lines = [line for line in lines if "ProbeHappened (probe)" in line]
    assert len(event_lines) == 2  # the unrelated event is not part of this story
    assert str(root.event_id) in event_lines[0] and "└─" not in event_lines[0]
    assert str(follow_up.event_id) in event_lines[1] and "└─ ProbeHappened" in event_lines[1]
    root_block = lines[lines.index(event_lines[0]) + 1 : lines.index(event_lines[1])]
    for name in ["probe.record_first", "probe.record_second", "probe.record_flaky", "probe_extra.log_receipt"]:
        assert any(f"→ {name}: done after 1 attempt(s)" in line for line in root_block), name
    follow_block = lines[lines.index(event_lines[1]) + 1 :]
    assert len([line for line in follow_block if "→ " in line]) == 5
    # The follow-up is indented under its cause.
    assert event_lines[1].index("ProbeHappened") > event_lines[0].index("ProbeHappened")


@pytest.mark.django_db(transaction=True)
def test_trace_shows_why_a_delivery_is_not_done(broken_flaky):
    with correlation("story-2"), transaction.atomic():
        publish(ProbeHappened(note="fails"))
    out = StringIO()
    call_command("events", "trace", "story-2", stdout=out)
    assert "→ probe.record_flaky: pending after 1 attempt(s) — RuntimeError: flaky subscriber is broken" in (
        out.getvalue()
    )


@pytest.mark.django_db
def test_trace_of_an_unknown_correlation_id_is_an_error():
    with pytest.raises(CommandError, match="no events with correlation id nope"):
        call_command("events", "trace", "nope")
