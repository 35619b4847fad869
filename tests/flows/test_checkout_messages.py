"""What a checkout saga costs in Celery messages through a real worker: with continuation
(flowmart/events/continuation.py) the worker task that takes the checkout's message delivers the
saga's later steps itself, one after the other, instead of a message per committed step."""

import pytest

from flowmart.celery import app
from flowmart.events.models import Delivery, OutboxEvent
from flowmart.orders.models import SkuAvailability
from tests.events.conftest import wait_until_broker_drained
from tests.support.worker import CeleryWorker, wait_until

from .conftest import checkout, order, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PATIENT = {"EVENTS_CONTINUE_SECONDS": "60"}  # the default 2 s budget is a busy test machine's coin toss


def saga_messages(extra_env: dict) -> int:
    """Check out one order through a fresh worker, up to its shipment and the last delivery of
    its story; return how many deliver messages the worker took meanwhile."""
    with CeleryWorker(extra_env=extra_env) as worker:
        app.conf.task_always_eager = False
        try:
            wait_until(lambda: SkuAvailability.objects.filter(sku="FLOW-RED", available__gt=0).exists(), timeout=30)
            buyer = register()
            wait_until_broker_drained()
            before = worker.messages_received()
            placed = checkout(buyer, {"FLOW-RED": 1})
            wait_until(lambda: order(buyer, placed["order_id"])["shipments"], timeout=60)
            story = OutboxEvent.objects.filter(
                correlation_id=OutboxEvent.objects.get(
                    name="OrderConfirmed", payload__order_id=placed["order_id"]
                ).correlation_id
            )
            wait_until(lambda: not Delivery.objects.filter(event__in=story, status="pending").exists(), timeout=60)
            wait_until_broker_drained()
            assert order(buyer, placed["order_id"])["status"] == "paid"
            return worker.messages_received() - before
        finally:
            app.conf.task_always_eager = True


def test_a_checkout_saga_takes_far_fewer_messages_than_commits(shop):
    # Off, every commit that published sends a message (6 when this was written: the checkout,
    # then the reservation, payment, paid and shipment steps): the commits to compare with.
    nudged = saga_messages({**PATIENT, "EVENTS_CONTINUE_ROUNDS": "0"})
    continued = saga_messages(PATIENT)
    assert nudged >= 5, nudged
    assert continued == 1, (continued, nudged)  # the checkout request's own; the worker did the rest
