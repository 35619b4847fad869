"""Waiting instead of polling, with a real Celery worker: the status moves are committed in the
worker process, and the wake-up crosses to the waiting request through Redis."""

import time

import pytest

from flowmart.orders.models import SkuAvailability
from tests.support.worker import wait_until

from .conftest import checkout, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def stock_known(shop, celery_worker):
    wait_until(lambda: SkuAvailability.objects.filter(sku="FLOW-RED", available=10).exists(), timeout=30)


def waited(client, order_id, timeout=20):
    started = time.monotonic()
    response = client.get(f"/api/v1/orders/{order_id}/?wait=paid&timeout={timeout}")
    assert response.status_code == 200, response.content
    return response.json(), time.monotonic() - started


@pytest.mark.parametrize(
    ("payment_method", "expected"),
    [
        ("pm_card_visa", ("paid", "paid", None)),
        ("pm_card_chargeDeclined", ("cancelled", "failed", "payment_failed")),
        ("pm_card_authenticationRequired", ("awaiting_payment", "requires_action", None)),
    ],
)
def test_one_request_waits_for_the_outcome_of_the_saga(shop, celery_worker, stock_known, payment_method, expected):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1}, payment_method=payment_method)

    body, took = waited(buyer, placed["order_id"])

    assert (body["status"], body["payment_status"], body["cancellation_reason"]) == expected
    assert took < 15  # woken by the worker's commit, not by the timeout
