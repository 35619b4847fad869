"""The orders saga handlers run the same in a real Celery worker on Redis."""

import pytest
from django.db import transaction

from flowmart.events import publish
from flowmart.orders.models import Order
from tests.support.worker import wait_until

from .conftest import checkout_body, payment, reserved


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_checkout_then_saga_events_through_the_worker(customer, shop, fill_cart, celery_worker):
    cart_id = fill_cart(customer, {"MUG-1": 1})
    response = customer.post("/api/v1/checkout/", checkout_body(cart_id), format="json", HTTP_IDEMPOTENCY_KEY="w1")
    assert response.status_code == 201
    order_id = response.json()["order_id"]
    with transaction.atomic():
        publish(reserved(order_id))
    wait_until(lambda: Order.objects.get(pk=order_id).status == "awaiting_payment")
    with transaction.atomic():
        publish(payment(order_id, amount="26.18"))
    wait_until(lambda: Order.objects.get(pk=order_id).status == "paid")
    body = customer.get(f"/api/v1/orders/{order_id}/").json()
    assert (body["status"], body["payment_status"]) == ("paid", "paid")
