"""Two well-behaved subscribers and one that fails while the switch says so.

A note starting with "slow" makes `record_second` take a while, so outage tests can catch
workers in the middle of their tasks."""

import os
import tempfile
import time
from pathlib import Path

from django.db import connection

from flowmart.events import publish
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


@event
class ProbePassed(Event):
    """A relay race: each delivery records its hop and publishes the next, down to hop 0
    (a saga's chain of steps, each published by the delivery of the one before)."""

    publisher = "probe"
    note: str = ""
    hops: int = 0


def death_mark(correlation_id: str) -> Path:
    """While this file exists, the process delivering hop 2 of the race with this correlation
    id dies on the spot (once: it removes the file first), as an OOM kill would take it."""
    return Path(tempfile.gettempdir()) / f"flowmart-probe-die-{correlation_id}"


@subscriber_id("probe.pass_on")
def pass_on(ev: ProbePassed):
    mark = death_mark(ev.correlation_id)
    if ev.hops == 2 and mark.exists():
        mark.unlink()
        os._exit(1)
    ProbeRecord.objects.create(subscriber="pass_on", event_id=ev.event_id, note=f"{ev.note}:{ev.hops}")
    if ev.hops > 0:
        publish(ProbePassed(note=ev.note, hops=ev.hops - 1))


SUBSCRIBERS = {ProbeHappened: [record_first, record_second, record_flaky], ProbePassed: [pass_on]}
