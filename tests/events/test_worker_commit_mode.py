"""Worker transactions commit asynchronously on PostgreSQL; web transactions do not."""

import pytest
from django.db import connection, transaction

from flowmart.events import publish
from tests.probe.handlers import ProbeHappened
from tests.probe.models import ProbeRecord
from tests.support.worker import wait_until


@pytest.mark.worker
def test_subscribers_in_a_worker_commit_asynchronously(celery_worker):
    with transaction.atomic():
        ev = ProbeHappened(note="commit mode?")
        publish(ev)
    record = wait_until(lambda: ProbeRecord.objects.filter(event_id=ev.event_id, subscriber="first").first())
    assert record.note == "off"
    with connection.cursor() as cursor:  # this (web-like) process keeps durable commits
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
