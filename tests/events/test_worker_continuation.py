"""Continuation through a real Celery worker: a chain of deliveries, each published by the one
before, is delivered by the task that consumed its first message, up to the bound; a worker
process dying mid-chain loses nothing (the sweep resends what it held)."""

import uuid

import pytest
from django.db import transaction

from flowmart.celery import app
from flowmart.common.correlation import correlation
from flowmart.events import publish, relay
from flowmart.events.models import Delivery
from tests.events.conftest import wait_until_broker_drained
from tests.probe.handlers import ProbePassed, death_mark
from tests.probe.models import ProbeRecord
from tests.support.worker import CeleryWorker, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

HOPS = 10
PATIENT = {"EVENTS_CONTINUE_SECONDS": "60"}  # the rounds bound the chain here, not a busy machine's clock


def race(note: str, hops: int = HOPS) -> list[str]:
    """Publish hop `hops` of a race; return the notes every hop will record."""
    with transaction.atomic():
        publish(ProbePassed(note=note, hops=hops))
    return [f"{note}:{hop}" for hop in range(hops, -1, -1)]


def run(note: str) -> list[str]:
    return sorted(ProbeRecord.objects.filter(note__startswith=f"{note}:").values_list("note", flat=True))


@pytest.fixture
def worker(request):
    """A worker with the environment a test gives (parametrized indirectly); publishing goes to the broker."""
    with CeleryWorker(extra_env={**PATIENT, **getattr(request, "param", {})}) as started:
        app.conf.task_always_eager = False
        try:
            yield started
        finally:
            app.conf.task_always_eager = True


def test_a_chain_of_deliveries_takes_one_message(worker):
    expected = race("one-message")
    wait_until(lambda: len(run("one-message")) == len(expected), timeout=30)
    wait_until_broker_drained()
    assert run("one-message") == sorted(expected)  # each hop once
    assert worker.messages_received() == 1  # the publish's own nudge; eleven commits published


@pytest.mark.parametrize("worker", [{"EVENTS_CONTINUE_ROUNDS": "3"}], indirect=True)
def test_the_rounds_bound_sends_the_rest_of_the_chain_as_messages(worker):
    expected = race("bounded")
    wait_until(lambda: len(run("bounded")) == len(expected), timeout=30)
    wait_until_broker_drained()
    assert run("bounded") == sorted(expected)
    assert worker.messages_received() == 3  # hops 10-7, 6-3, 2-0: a batch and three rounds per task


@pytest.mark.parametrize("worker", [{"EVENTS_SWEEP_GRACE_SECONDS": "1"}], indirect=True)
def test_a_worker_process_dying_mid_chain_loses_nothing(worker):
    story = f"die-{uuid.uuid4().hex[:8]}"
    death_mark(story).touch()
    with correlation(story):
        expected = race("dies", hops=5)
    hop_two = Delivery.objects.filter(subscriber="probe.pass_on", event__payload__hops=2, event__correlation_id=story)
    # The process delivering hop 2 (continued, no message of its own) dies: hop 2 stays pending.
    wait_until(lambda: not death_mark(story).exists() and hop_two.filter(status="pending").exists(), timeout=30)
    wait_until_broker_drained()  # the killed task's message is redelivered: its batch is done already
    assert run("dies") == ["dies:3", "dies:4", "dies:5"]
    assert hop_two.get().status == "pending"

    # The beat's sweep (every EVENTS_SWEEP_SECONDS) finds it once due, and the chain goes on.
    wait_until(lambda: relay.sweep() >= 0 and len(run("dies")) == len(expected), timeout=30)
    assert run("dies") == sorted(expected)
