"""Probes and metrics: /health/live/, /health/ready/ (database, cache, broker), /metrics."""

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


def test_ready_checks_database_cache_and_broker(client):
    response = client.get("/health/ready/")
    assert response.status_code == 200, response.content
    checks = response.json()
    names = " ".join(checks).lower()
    for part in ("database", "cache", "broker"):
        assert part in names, checks
    assert all(status == "OK" for status in checks.values()), checks


def test_ready_is_500_when_the_broker_is_unreachable(client):
    with broker_at(DEAD_BROKER_URL):
        started = time.monotonic()
        response = client.get("/health/ready/")
        elapsed = time.monotonic() - started
    assert response.status_code == 500
    broker = next(status for name, status in response.json().items() if "broker" in name.lower())
    assert "broker unreachable" in broker
    assert elapsed < 1.5, f"a refused broker took {elapsed:.2f}s to report"
    assert client.get("/health/ready/").status_code == 200  # and healthy again once it is back


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
