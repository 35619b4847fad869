"""Continuation (flowmart/events/continuation.py), in this process against the real broker: a
batch consumed from a queue is followed by the batches its commits published for that queue,
up to the bound; what is left, and what is routed to another queue, is sent as messages."""

import base64
import json

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from flowmart.events import continuation, publish
from flowmart.events.models import Delivery
from tests.probe.handlers import ProbePassed
from tests.probe.models import ProbeRecord
from tests.support.broker import real_broker

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "continuation-test"


@pytest.fixture
def broker(settings):
    """The probe's deliveries routed to QUEUE on the real Redis broker, not eager."""
    settings.EVENTS = {**django_settings.EVENTS, "QUEUES": {"probe": QUEUE}, "CONTINUE_SECONDS": 60.0}
    with real_broker(QUEUE) as client:
        yield client


def messages(client) -> list[list[int]]:
    """The delivery ids of every deliver message on QUEUE, oldest first (taken off the queue)."""
    sent = []
    while (raw := client.rpop(QUEUE)) is not None:
        sent.append(json.loads(base64.b64decode(json.loads(raw)["body"]))[0][0])
    return sent


def start_race(client, hops: int) -> list[int]:
    """Publish the first hop; return the one message its commit sent (what a worker would consume)."""
    with transaction.atomic():
        publish(ProbePassed(note="race", hops=hops))
    [first] = messages(client)
    return first


def hops_run() -> list[str]:
    return list(ProbeRecord.objects.filter(subscriber="pass_on").order_by("pk").values_list("note", flat=True))


def pending_hops() -> list[int]:
    return list(Delivery.objects.filter(subscriber="probe.pass_on", status="pending").values_list("pk", flat=True))


def test_a_chain_continues_for_the_rounds_allowed_and_the_rest_is_sent_as_a_message(broker, settings):
    settings.EVENTS = {**settings.EVENTS, "CONTINUE_ROUNDS": 2}
    continuation.deliver_from(QUEUE, start_race(broker, hops=5))

    assert hops_run() == ["race:5", "race:4", "race:3"]  # the batch, then two rounds
    left = pending_hops()  # hop 2, published by hop 3's commit: held, then nudged
    assert len(left) == 1
    assert messages(broker) == [left]

    continuation.deliver_from(QUEUE, left)  # the next task takes it from there
    assert hops_run() == ["race:5", "race:4", "race:3", "race:2", "race:1", "race:0"]
    assert messages(broker) == [] and pending_hops() == []


def test_a_spent_time_budget_sends_the_follow_up_as_a_message(broker, settings):
    settings.EVENTS = {**settings.EVENTS, "CONTINUE_ROUNDS": 20, "CONTINUE_SECONDS": 0.0}
    continuation.deliver_from(QUEUE, start_race(broker, hops=3))
    assert hops_run() == ["race:3"]
    assert messages(broker) == [pending_hops()]


def test_deliveries_for_another_queue_are_sent_at_once(broker):
    """A task consumed from another queue delivers its batch and holds nothing of QUEUE's."""
    continuation.deliver_from("another-queue", start_race(broker, hops=3))
    assert hops_run() == ["race:3"]
    assert messages(broker) == [pending_hops()]


def test_outside_a_deliver_task_every_commit_is_nudged(broker):
    """No task running (a web request, the sweep): the publish's commit sends its message."""
    with transaction.atomic():
        publish(ProbePassed(note="alone", hops=0))
    assert len(messages(broker)) == 1
