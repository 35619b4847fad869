"""The claim Saleor fails: many customers check out the last units at once over real
parallel PostgreSQL connections, and not one unit is oversold or charged twice."""

import threading
import uuid
from collections import Counter

import pytest
from django.db import connection

from flowmart.inventory.models import StockLevel
from flowmart.payments.models import Payment

from .conftest import ADDRESS_US, ledgers_balance, order, register

pytestmark = pytest.mark.django_db(transaction=True)

BUYERS = 30


def test_parallel_checkouts_never_oversell(shop):
    buyers = []
    for _ in range(BUYERS):
        client = register()
        cart = client.post("/api/v1/carts/").json()
        assert client.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 1}).status_code == 201
        buyers.append((client, cart["id"]))
    start = threading.Barrier(BUYERS)
    answers, errors = [], []

    def buy(client, cart_id):
        try:
            body = {
                "cart_id": cart_id,
                "shipping_address": ADDRESS_US,
                "shipping_method": "standard",
                "payment": {"provider": "dummy", "payment_method": "pm_card_visa"},
            }
            start.wait()
            response = client.post("/api/v1/checkout/", body, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
            answers.append((client, response.status_code, response.json()))
        except Exception as exc:  # surfaced below: no error may reach a caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=buy, args=buyer) for buyer in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors
    assert [status for _, status, _ in answers] == [201] * BUYERS
    outcomes = Counter(
        (o["status"], o["cancellation_reason"]) for o in (order(c, body["order_id"]) for c, _, body in answers)
    )
    assert outcomes == {("paid", None): 10, ("cancelled", "out_of_stock"): BUYERS - 10}
    level = StockLevel.objects.get(sku="FLOW-RED")
    assert (level.on_hand, level.reserved) == (10, 10)
    assert Payment.objects.filter(captured_amount__gt=0).count() == 10  # one charge per paid order, none else
    ledgers_balance()
