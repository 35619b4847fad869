"""The lightning deal's promise under load: 100 customers check out a 10-unit deal at once
over real parallel PostgreSQL connections; exactly 10 orders get the deal price, every other
checkout is a clear 409 deal_sold_out with nothing written and nothing charged.

The checkouts run on PARALLEL threads at a time, each with its own connection: the test
server's PostgreSQL (max_connections 100) is shared with other test runs, so 100 open
connections at once would starve them; 24 at once still race for the same deal row."""

import contextlib
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from flowmart.catalog.models import SkuPromotion
from flowmart.orders.models import DealClaim, DealStock, Order, OrderLine
from flowmart.payments.models import Payment
from flowmart.promotions.models import LightningDeal

from .conftest import checkout, fill_cart, make_deal, register

pytestmark = pytest.mark.django_db(transaction=True)

BUYERS = 100
PARALLEL = 24
UNITS = 10


def test_100_concurrent_checkouts_on_a_10_unit_deal_sell_exactly_10(shop):
    deal = make_deal("MUG-RED", price="7.50", units=UNITS)
    buyers = []
    for _ in range(BUYERS):
        client = register()
        buyers.append((client, fill_cart(client, {"MUG-RED": 1})))
    start = threading.Barrier(PARALLEL)

    def buy(buyer):
        client, cart_id = buyer
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=2)  # waves of PARALLEL start together; the last, short one after 2 s
            response = checkout(client, cart_id)
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        answers = list(pool.map(buy, buyers))

    assert Counter(status for status, _ in answers) == {201: UNITS, 409: BUYERS - UNITS}
    refused = [body["error"] for status, body in answers if status == 409]
    assert {(e["code"], e["sku"], e["available"]) for e in refused} == {("deal_sold_out", "MUG-RED", 0)}

    assert Order.objects.count() == UNITS
    assert set(OrderLine.objects.values_list("unit_price", "original_unit_price")) == {(7.50, 20)}
    assert set(Order.objects.values_list("status", flat=True)) == {"paid"}
    assert Payment.objects.count() == UNITS  # nobody refused was charged (or even asked to pay)
    assert DealStock.objects.get(pk=deal.pk).claimed == UNITS
    assert DealClaim.objects.filter(released_at__isnull=True).count() == UNITS
    assert LightningDeal.objects.get(pk=deal.pk).claimed == UNITS  # promotions heard the newest total
    assert SkuPromotion.objects.get(sku="MUG-RED").deals[0]["claimed"] == UNITS  # and the catalogue
