"""Scale-out by configuration: EVENTS_QUEUES puts a context's subscribers on a queue of its
own, so payments and shipping can run on their own worker pool (other machines, the same
PostgreSQL and Redis). Here the default worker alone cannot finish a checkout — the payment
waits on the `payments` queue — and a second worker bound to that queue completes the saga.
A worker task continues only with deliveries for its own queue (flowmart/events/continuation.py):
the others still travel as messages, to the workers bound to their queues."""

import time

import pytest
import redis
from django.conf import settings as django_settings

from flowmart.events.models import Delivery
from tests.support.worker import CeleryWorker, wait_until

from .conftest import checkout, order, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

QUEUES = "payments=payments,shipping=fulfilment"


def test_payments_and_shipping_run_on_their_own_queues(shop, settings):
    from flowmart.celery import app

    settings.EVENTS = {**django_settings.EVENTS, "QUEUES": {"payments": "payments", "shipping": "fulfilment"}}
    env = {"EVENTS_QUEUES": QUEUES}
    with CeleryWorker(name="default", extra_env=env) as default:
        app.conf.task_always_eager = False
        try:
            buyer = register()
            before = Delivery.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            placed = checkout(buyer, {"FLOW-RED": 1})
            checkout_message = default.messages_received()
            saga = Delivery.objects.filter(pk__gt=before, subscriber__startswith="payments.")
            # Inventory (default queue) reserves; the charge waits for a payments worker.
            wait_until(lambda: saga.exists(), timeout=30)
            time.sleep(2)
            assert order(buyer, placed["order_id"])["status"] in ("pending", "awaiting_payment")
            assert not saga.filter(status="done").exists()
            assert redis.Redis.from_url(django_settings.REDIS_URL).llen("payments") > 0

            with CeleryWorker(
                name="payments", extra_env=env, queues=("payments", "fulfilment"), flush=False
            ) as payments:
                shipments = wait_until(lambda: order(buyer, placed["order_id"])["shipments"], timeout=60)
                # Continuation holds only deliveries for the queue a task came from: the default
                # worker's tasks sent the charge to `payments` as a message, the payments worker's
                # tasks sent the orders' steps back to the default queue the same way.
                assert payments.messages_received() >= 1
                wait_until(lambda: default.messages_received() > checkout_message, timeout=30)
        finally:
            app.conf.task_always_eager = True
    assert order(buyer, placed["order_id"])["status"] == "paid"
    assert shipments and Delivery.objects.filter(subscriber__startswith="shipping.", status="done").exists()
    assert saga.exists() and not saga.exclude(status="done").exists()
