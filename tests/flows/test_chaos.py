"""Chaos on the production shape: a burst of checkouts through the HTTP API (dummy provider)
while one of two real worker processes is SIGKILLed (and restarted by the test, as systemd or
compose would) and the Redis the test owns is stopped and started again. Afterwards every order
is final, each paid order was charged once and has one shipment, the outbox is empty once the
sweep has run, and both workers are up."""

import os
import signal
import threading
import time
import uuid
from contextlib import ExitStack, suppress
from pathlib import Path

import pytest
from django.db import connection

from flowmart.celery import app
from flowmart.events import relay
from flowmart.events.models import Delivery
from flowmart.inventory import services as inventory
from flowmart.payments.models import DummyIntent, Payment
from tests.events.conftest import broker_at
from tests.support.redis_server import RedisServer
from tests.support.worker import CeleryWorker, wait_until

from .conftest import ADDRESS_US, order, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

BUYERS = 24
DECLINED = {3, 11, 19}  # these buyers' cards are declined: cancelled, payment_failed
GRACE = 2  # seconds before the sweep resends a delivery the broker lost

WORKER_ENV = {
    "EVENTS_SWEEP_GRACE_SECONDS": str(GRACE),
    # One test address and one test card for every order: velocity rules would hold them all.
    "FRAUD_MAX_ORDERS_PER_IP": "10000",
    "FRAUD_MAX_ORDERS_PER_CARD": "10000",
    "FRAUD_MAX_ORDERS_PER_CUSTOMER": "10000",
}


def kill_hard(worker: CeleryWorker) -> None:
    """SIGKILL the worker and its pool processes at once, as the OOM killer or `docker kill` would."""
    pid = worker.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for victim in [pid, *map(int, children)]:
        with suppress(ProcessLookupError):
            os.kill(victim, signal.SIGKILL)
    worker.process.wait(timeout=10)


def place(client, cart_id, payment_method):
    body = {
        "cart_id": cart_id,
        "shipping_address": ADDRESS_US,
        "shipping_method": "standard",
        "payment": {"provider": "dummy", "payment_method": payment_method},
    }
    response = client.post("/api/v1/checkout/", body, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.content
    return response.json()["order_id"]


def test_checkout_burst_survives_a_killed_worker_and_a_redis_restart(shop, settings):
    settings.EVENTS = {**settings.EVENTS, "SWEEP_GRACE_SECONDS": GRACE}
    inventory.receive_stock(sku="FLOW-RED", warehouse_code="US-EAST", quantity=10, reason="chaos test")  # 20 units
    started = time.monotonic()

    with RedisServer() as redis_server, ExitStack() as stack:
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis_server.url}}
        env = {**WORKER_ENV, "REDIS_URL": redis_server.url}
        workers = [stack.enter_context(CeleryWorker(name=n, extra_env=env, lean=False)) for n in ("chaos-a", "chaos-b")]
        stack.enter_context(broker_at(redis_server.url))
        app.conf.task_always_eager = False
        stack.callback(setattr, app.conf, "task_always_eager", True)

        buyers = []
        for n in range(BUYERS):
            client = register()
            cart = client.post("/api/v1/carts/").json()
            assert (
                client.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 1}).status_code == 201
            )
            method = "pm_card_chargeDeclined" if n in DECLINED else "pm_card_visa"
            buyers.append((client, cart["id"], method))

        placed, errors = [], []

        def buy(chunk):
            try:
                for client, cart_id, method in chunk:
                    placed.append((client, place(client, cart_id, method)))
                    time.sleep(0.15)
            except Exception as exc:  # surfaced below
                errors.append(exc)
            finally:
                connection.close()

        shoppers = [threading.Thread(target=buy, args=(buyers[i::4],)) for i in range(4)]
        for shopper in shoppers:
            shopper.start()
        time.sleep(0.5)
        kill_hard(workers[0])  # mid-burst
        redis_server.stop()
        time.sleep(4)  # checkouts keep coming in while Redis is away
        redis_server.start()
        workers[0].start()  # the supervisor brings the killed worker back
        for shopper in shoppers:
            shopper.join(timeout=60)
        assert not errors, errors
        assert len(placed) == BUYERS

        # Beat's job, done here: re-send whatever the broker lost until nothing is pending.
        def settled():
            relay.sweep()
            return not Delivery.objects.filter(status="pending").exists() and all(
                order(c, o)["status"] in ("paid", "cancelled") for c, o in placed
            )

        wait_until(settled, timeout=90, interval=1)

        for worker in workers:
            assert worker.process.poll() is None, worker.output()[-3000:]
            assert "Unrecoverable error" not in worker.output()

    assert not Delivery.objects.exclude(status="done").exists()  # nothing stuck, nothing dead
    outcomes = {o: order(c, o) for c, o in placed}
    paid = [o for o, body in outcomes.items() if body["status"] == "paid"]
    cancelled = [body for body in outcomes.values() if body["status"] == "cancelled"]
    assert len(paid) + len(cancelled) == BUYERS
    assert all(body["cancellation_reason"] in ("payment_failed", "out_of_stock") for body in cancelled)
    assert len(paid) <= 20 and len(cancelled) >= len(DECLINED)
    for order_id in paid:
        assert len(outcomes[order_id]["shipments"]) == 1
        assert Payment.objects.get(order_id=order_id).captured_amount > 0
    assert DummyIntent.objects.filter(status="succeeded").count() == len(paid)  # one charge per paid order
    assert time.monotonic() - started < 110
