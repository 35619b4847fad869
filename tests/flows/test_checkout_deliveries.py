"""What one checkout costs the dispatcher: a delivery (a row, a message, a transaction) only
for a subscriber that acts on the event's kind. Subscriptions name their kinds
(`Event.where`), so the saga's events reach no subscriber that would ignore them."""

import uuid
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction

from flowmart.events.models import Delivery, OutboxEvent
from flowmart.events.registry import subscriber
from flowmart.payments.models import LedgerEntry
from flowmart.promotions.models import Voucher
from flowmart.promotions.services import vouchers as voucher_service

from .conftest import ADDRESS_US, checkout, register

pytestmark = pytest.mark.django_db(transaction=True)

# Deliveries of one paid single-line checkout on the embedded path: OrderConfirmed 8, PaymentInitiated 1,
# InventoryAdjusted(reserved) 5, OrderStatusChanged paid 2 (awaiting_payment none), PaymentProcessed
# (succeeded) 5, ShipmentCreated 2. It was 32 before subscriptions named their kinds, 28 before
# recommendations left reservations out (it needs only OutOfStock's sell-outs), 27 before payments
# wanted only discounted orders (OrderConfirmed.where(discount=NONZERO)), 26 before notifications
# left reservations out (its availability copy is read as in or out of stock only, as
# recommendations') and took only cancellations of OrderStatusChanged (the one status it writes a
# message for or reads back; a guest order's owner comes from OrderClaimed). A new subscriber of a
# checkout's events changes this number: update it knowingly.
CHECKOUT_DELIVERIES = 23

# Subscribers of a checkout's events that act only on other kinds of them.
NOT_FOR_A_PLAIN_CHECKOUT = {
    "billing.invoice_amendment_charge",  # an amendment's extra charge
    "subscriptions.on_renewal_payment",  # a renewal order's payment
    "subscriptions.on_renewal_order_changed",  # a renewal order's status
    "payments.record_order_discount",  # an order with a discount
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


def test_a_discounted_order_still_has_its_discount_recorded_by_payments(shop):
    """The subscription that a plain checkout no longer reaches still gets the orders it is for."""
    with transaction.atomic():
        voucher_service.save_voucher(Voucher(code="FLOW5", kind="fixed", amount=Decimal("5.00")))
    buyer = register()
    cart = buyer.post("/api/v1/carts/").json()
    assert buyer.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 2}).status_code == 201
    applied = buyer.post(f"/api/v1/carts/{cart['id']}/voucher/", {"code": "FLOW5"}, format="json")
    assert applied.status_code == 200, applied.content
    body = {
        "cart_id": cart["id"],
        "shipping_address": ADDRESS_US,
        "shipping_method": "standard",
        "payment": {"provider": "dummy", "payment_method": "pm_card_visa"},
    }
    placed = buyer.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex).json()
    assert placed["status"] == "paid", placed

    recorded = checkout_deliveries(placed["order_id"]).get(subscriber="payments.record_order_discount")
    assert recorded.status == Delivery.Status.DONE, recorded.last_error
    discount = LedgerEntry.objects.filter(order_id=placed["order_id"], kind=LedgerEntry.Kind.DISCOUNT)
    assert discount.count() == 2 and sum(entry.debit for entry in discount) == Decimal("5.00")  # posted once
