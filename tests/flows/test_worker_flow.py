"""The same storefront story with a real Celery worker on the Redis broker: the HTTP
response comes back first and the client polls the order until the saga settles."""

import pytest

from flowmart.orders.models import SkuAvailability
from flowmart.payments.models import Payment
from tests.support.worker import wait_until

from .conftest import carrier_update, checkout, ledgers_balance, order, register, stock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def settled(client, order_id, status):
    return wait_until(lambda: (o := order(client, order_id))["status"] == status and o, timeout=30)


@pytest.fixture
def stock_known(shop, celery_worker):
    """The cart checks orders' stock projection: wait until the worker has fed it."""
    wait_until(lambda: SkuAvailability.objects.filter(sku="FLOW-RED", available=10).exists(), timeout=30)


def test_checkout_to_delivery_through_a_real_worker(shop, staff, celery_worker, stock_known):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 2})
    assert placed["status"] in ("pending", "awaiting_payment", "paid")

    paid = settled(buyer, placed["order_id"], "paid")
    wait_until(lambda: order(buyer, placed["order_id"])["shipments"])
    [shipment] = order(buyer, placed["order_id"])["shipments"]
    assert paid["payment_status"] == "paid"

    assert staff.post(f"/api/v1/shipping/shipments/{shipment['id']}/dispatch/").status_code == 200
    settled(buyer, placed["order_id"], "shipped")
    carrier_update(shipment, "in_transit")
    carrier_update(shipment, "delivered")
    settled(buyer, placed["order_id"], "delivered")
    wait_until(lambda: stock("FLOW-RED") == {"US-EAST": (8, 0)})
    assert Payment.objects.get(order_id=placed["order_id"]).captured_amount > 0
    ledgers_balance()


def test_out_of_stock_through_a_real_worker(shop, celery_worker, stock_known):
    buyer = register()
    SkuAvailability.objects.filter(sku="FLOW-RED").update(available=100)  # a projection behind inventory
    placed = checkout(buyer, {"FLOW-RED": 11})
    cancelled = settled(buyer, placed["order_id"], "cancelled")
    assert cancelled["cancellation_reason"] == "out_of_stock"
    assert not Payment.objects.filter(order_id=placed["order_id"], captured_amount__gt=0).exists()
