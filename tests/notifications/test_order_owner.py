"""Who an order's messages go to: the customer of OrderConfirmed, or, for a guest's order that
a new account claimed, that customer from OrderClaimed on. A checkout's own status changes
(awaiting_payment, paid) are not delivered here, so no later status change is needed to learn
the owner."""

import pytest

from flowmart.common.privacy import email_hash
from flowmart.contracts.customers import CustomerErased
from flowmart.contracts.orders import OrderClaimed
from flowmart.events.models import Delivery
from flowmart.notifications.models import Message, OrderCopy
from tests.support import contract_events
from tests.support.contract_events import order_status_changed, shipment_created, shipment_dispatched

from .conftest import ADDRESS, contact, next_id

pytestmark = pytest.mark.django_db


def guest_order(email: str):
    order_id = next_id()
    return contract_events.order_confirmed(
        order_id, (("MUG-RED", 1),), customer_id=None, email=email, address=ADDRESS, number=f"FM-{order_id:06d}"
    )


def test_a_claimed_guest_order_messages_its_customer(emit, providers):
    email = f"guest{next_id()}@example.com"
    order, customer_id = guest_order(email), next_id()
    emit(order, order_status_changed(order, "paid", "awaiting_payment"))
    emit(contact(customer_id, email), OrderClaimed(order_id=order.order_id, customer_id=customer_id, email=email))
    parcel = shipment_created(order)
    emit(parcel, shipment_dispatched(order, parcel.shipment_id))

    dispatched = Message.objects.get(message_type="shipment_dispatched", channel="email")
    assert dispatched.customer_id == customer_id and dispatched.recipient_key == f"customer:{customer_id}"
    assert providers.smtp.to(email)  # the customer's contact (the same address here)
    assert not Delivery.objects.filter(subscriber="notifications.on_order_status_changed").exists()

    # The claimed order's copy is the customer's too: erasing them erases it.
    emit(CustomerErased(customer_id=customer_id, email_hash=email_hash(email)))
    assert OrderCopy.objects.get(order_id=order.order_id).email != email


def test_a_claim_handled_before_the_order_keeps_its_owner(emit):
    email = f"guest{next_id()}@example.com"
    order, customer_id = guest_order(email), next_id()
    emit(OrderClaimed(order_id=order.order_id, customer_id=customer_id, email=email))
    emit(order)
    copy = OrderCopy.objects.get(order_id=order.order_id)
    assert (copy.customer_id, copy.email, copy.number) == (customer_id, email, order.order_number)
    assert copy.lines[0]["sku"] == "MUG-RED"
