"""What one checkout costs the dispatcher: a delivery (a row, a message, a transaction) only
for a subscriber that acts on the event's kind. Subscriptions name their kinds
(`Event.where`), so the saga's events reach no subscriber that would ignore them."""

from collections import Counter

import pytest

from flowmart.events.models import Delivery, OutboxEvent
from flowmart.events.registry import subscriber

from .conftest import checkout, register

pytestmark = pytest.mark.django_db(transaction=True)

# Deliveries of one paid single-line checkout on the embedded path: OrderConfirmed 9, PaymentInitiated 1,
# InventoryAdjusted(reserved) 6, OrderStatusChanged awaiting_payment 1 and paid 3, PaymentProcessed
# (succeeded) 5, ShipmentCreated 2. It was 32 before subscriptions named their kinds, 28 before
# recommendations left reservations out (it needs only OutOfStock's sell-outs). A new
# subscriber of a checkout's events changes this number: update it knowingly.
CHECKOUT_DELIVERIES = 27

# Subscribers of a checkout's events that act only on other kinds of them.
NOT_FOR_A_PLAIN_CHECKOUT = {
    "billing.invoice_amendment_charge",  # an amendment's extra charge
    "subscriptions.on_renewal_payment",  # a renewal order's payment
    "subscriptions.on_renewal_order_changed",  # a renewal order's status
}


def checkout_deliveries(order_id: int):
    confirmed = OutboxEvent.objects.get(name="OrderConfirmed", payload__order_id=order_id)
    return Delivery.objects.filter(event__correlation_id=confirmed.correlation_id).select_related("event")


def test_a_checkout_delivers_only_to_subscribers_that_act_on_its_kinds(shop):
    placed = checkout(register(), {"FLOW-RED": 2})
    assert placed["status"] == "paid"  # eager: the whole saga ran in the request

    deliveries = list(checkout_deliveries(placed["order_id"]))
    per_event = Counter(d.event.name for d in deliveries)
    assert {d.subscriber for d in deliveries}.isdisjoint(NOT_FOR_A_PLAIN_CHECKOUT), per_event
    for delivery in deliveries:
        assert delivery.status == Delivery.Status.DONE, (delivery.subscriber, delivery.last_error)
        assert subscriber(delivery.subscriber).wants(delivery.event.to_event())
    assert len(deliveries) == CHECKOUT_DELIVERIES, sorted(per_event.items())
