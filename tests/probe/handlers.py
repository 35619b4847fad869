"""Two well-behaved subscribers and one that fails while the switch says so.

A note starting with "slow" makes `record_second` take a while, so outage tests can catch
workers in the middle of their tasks."""

import time

from django.db import connection

from flowmart.events.base import Event, event
from flowmart.events.registry import subscriber_id

from .models import ProbeRecord, ProbeSwitch


@event
class ProbeHappened(Event):
    publisher = "probe"
    note: str = ""


@subscriber_id("probe.record_first")
def record_first(ev: ProbeHappened):
    note = ev.note
    if note == "commit mode?":  # answers how this subscriber's transaction commits
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            note = cursor.fetchone()[0]
    ProbeRecord.objects.create(subscriber="first", event_id=ev.event_id, note=note)


@subscriber_id("probe.record_second")
def record_second(ev: ProbeHappened):
    if ev.note.startswith("slow"):
        time.sleep(0.3)
    ProbeRecord.objects.create(subscriber="second", event_id=ev.event_id, note=ev.note)


@subscriber_id("probe.record_flaky")
def record_flaky(ev: ProbeHappened):
    if ProbeSwitch.objects.filter(broken=True).exists():
        raise RuntimeError("flaky subscriber is broken")
    ProbeRecord.objects.create(subscriber="flaky", event_id=ev.event_id, note=ev.note)


SUBSCRIBERS = {ProbeHappened: [record_first, record_second, record_flaky]}
