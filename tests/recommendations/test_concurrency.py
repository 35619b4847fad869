"""Counting paid orders that arrive at once: real threads, each on its own PostgreSQL connection.
Pairs and trend rows are upserted in key order, so nothing is lost and nothing deadlocks."""

from functools import partial

import pytest
from django.db import transaction

from flowmart.events import publish
from flowmart.recommendations.models import CoPurchase, Product
from tests.support.shop_events import confirmed, status
from tests.support.threads import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_paid_orders_are_each_counted_once(product):
    kettle, mug, tea = product("Kettle"), product("Mug"), product("Tea")
    orders = range(70_001, 70_009)

    def pay(order_id):
        lines = {mug.sku: 1, kettle.sku: 1, tea.sku: 1} if order_id % 2 else {tea.sku: 1, kettle.sku: 2, mug.sku: 1}
        with transaction.atomic():
            publish(confirmed(order_id, 1, lines))
        with transaction.atomic():
            publish(status(order_id, 1, "paid", "pending"))

    assert run_at_once(*(partial(pay, order_id) for order_id in orders)) == []

    assert set(CoPurchase.objects.values_list("count", flat=True)) == {8}
    assert CoPurchase.objects.count() == 6
    assert Product.objects.filter(trend__isnull=False).count() == 3
