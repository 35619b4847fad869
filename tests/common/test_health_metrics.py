"""Probes and metrics: /health/live/, /health/ready/ (database, cache, broker, outbox), /metrics."""

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from flowmart.events.models import Delivery, OutboxEvent
from tests.events.conftest import DEAD_BROKER_URL, broker_at

pytestmark = pytest.mark.django_db


def test_live_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_database_cache_broker_and_outbox(client):
    response = client.get("/health/ready/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and "degraded" not in body
    names = " ".join(body["checks"]).lower()
    for part in ("database", "cache", "broker", "outbox"):
        assert part in names, body
    assert all(status == "OK" for status in body["checks"].values()), body


def test_ready_is_degraded_not_down_when_the_broker_is_unreachable(client):
    with broker_at(DEAD_BROKER_URL):
        started = time.monotonic()
        response = client.get("/health/ready/")
        elapsed = time.monotonic() - started
    assert response.status_code == 200  # events wait in the outbox: keep serving
    body = response.json()
    assert body["status"] == "degraded"
    assert [reason for reason in body["degraded"] if "broker unreachable" in reason], body
    assert elapsed < 1.5, f"a refused broker took {elapsed:.2f}s to report"
    assert client.get("/health/ready/").json()["status"] == "ok"  # and healthy again once it is back


@pytest.mark.django_db(transaction=True)
def test_ready_is_503_when_the_database_is_unreachable(client):
    """The one hard failure. The checks run in threads, which open connections of their own:
    point those at a port where nothing listens."""
    from django.db import connections

    database = connections.settings["default"]
    port = database["PORT"]
    database["PORT"] = "1"
    try:
        response = client.get("/health/ready/")
    finally:
        database["PORT"] = port
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert next(status for name, status in body["checks"].items() if "Database" in name) != "OK"


@pytest.mark.django_db(transaction=True)  # the readiness checks run in threads: they see committed rows only
def test_a_stalled_outbox_shows_on_ready_and_metrics(client, settings):
    settings.EVENTS = {**settings.EVENTS, "BACKLOG_ALERT_SECONDS": 60}
    _delivery("pending", timedelta(seconds=5))
    assert client.get("/health/ready/").json()["status"] == "ok"
    assert metric(client.get("/metrics").content.decode(), "flowmart_outbox_stalled") == 0.0

    _delivery("pending", timedelta(seconds=90))  # nobody delivered it for a minute and a half
    body = client.get("/health/ready/").json()
    assert body["status"] == "degraded"
    [reason] = body["degraded"]
    assert reason.startswith("OutboxBacklog:") and "1 deliveries pending for more than 60 s (oldest 90 s" in reason
    scraped = client.get("/metrics").content.decode()
    assert metric(scraped, "flowmart_outbox_stalled") == 1.0
    assert metric(scraped, "flowmart_outbox_overdue_deliveries") == 1.0
    assert metric(scraped, "flowmart_outbox_stall_threshold_seconds") == 60.0


def _delivery(status: str, age: timedelta) -> Delivery:
    created = timezone.now() - age
    event = OutboxEvent.objects.create(
        event_id=uuid.uuid4(),
        name="ProbeHappened",
        version=1,
        publisher="probe",
        correlation_id="metrics",
        occurred_at=created,
        payload={},
        created_at=created,
    )
    return Delivery.objects.create(event=event, subscriber="probe.record_first", status=status, created_at=created)


def metric(body: str, name: str) -> float:
    line = next(line for line in body.splitlines() if line.startswith(name + " "))
    return float(line.split()[1])


def test_metrics_expose_outbox_lag_and_dead_deliveries(client):
    body = client.get("/metrics").content.decode()
    assert metric(body, "flowmart_outbox_lag_seconds") == 0.0
    assert metric(body, "flowmart_dead_deliveries") == 0.0

    _delivery("pending", timedelta(seconds=90))
    _delivery("pending", timedelta(seconds=5))
    _delivery("dead", timedelta(hours=2))
    _delivery("done", timedelta(hours=3))
    response = client.get("/metrics")
    assert response.status_code == 200
    body = response.content.decode()
    assert 90 <= metric(body, "flowmart_outbox_lag_seconds") < 120  # the oldest pending one
    assert metric(body, "flowmart_outbox_pending_deliveries") == 2
    assert metric(body, "flowmart_dead_deliveries") == 1
    assert "django_http_requests_total_by_method_total" in body  # django-prometheus' own metrics
