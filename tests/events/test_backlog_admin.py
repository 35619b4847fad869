"""The admin index tells staff when the dispatcher has stalled."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from flowmart.events.models import Delivery, OutboxEvent

pytestmark = pytest.mark.django_db


def pending_delivery(age: timedelta) -> None:
    created = timezone.now() - age
    event = OutboxEvent.objects.create(
        event_id=uuid.uuid4(),
        name="ProbeHappened",
        version=1,
        publisher="probe",
        correlation_id="backlog",
        occurred_at=created,
        payload={},
        created_at=created,
    )
    Delivery.objects.create(event=event, subscriber="probe.record_first", created_at=created)


def test_the_admin_index_shows_a_stalled_dispatcher(client, settings):
    settings.EVENTS = {**settings.EVENTS, "BACKLOG_ALERT_SECONDS": 120}
    client.force_login(get_user_model().objects.create_superuser(email="ops@example.com", password="x"))

    pending_delivery(timedelta(seconds=10))
    page = client.get("/admin/").content.decode()
    assert "Event dispatcher" in page and "Keeping up: 1 pending" in page and "Stalled" not in page

    pending_delivery(timedelta(minutes=5))
    page = client.get("/admin/").content.decode()
    assert "Stalled: 1 deliveries pending for more than 120 s" in page
    assert "/admin/events/delivery/?status__exact=pending" in page
