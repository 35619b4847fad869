"""Shipping's subscriptions through the real dispatcher path (outbox → delivery → inbox),
and its guarantees under concurrent deliveries on real PostgreSQL connections."""

import pytest
from django.db import transaction

from flowmart.events import publish, relay
from flowmart.events.models import Delivery
from flowmart.events.registry import subscribers_for
from flowmart.shipping.carriers import CARRIERS, Carrier
from flowmart.shipping.handlers import SUBSCRIBERS
from flowmart.shipping.models import Shipment, TrackingEvent
from tests.shipping.conftest import (
    SPLIT,
    carrier_update,
    deliver,
    inventory_adjusted,
    order_confirmed,
    payment_processed,
    tracking,
)
from tests.support.threads import run_at_once


def test_every_contract_event_shipping_needs_is_subscribed():
    names = {ev.name for ev in SUBSCRIBERS}
    assert names == {
        "OrderConfirmed",
        "OrderClaimed",  # a guest's order found its account: its parcels are the customer's
        "OrderAmended",
        "InventoryAdjusted",
        "PaymentProcessed",
        "OrderCancelled",
        "ReturnRequested",
        "ProductPublished",
        "SellerStaffChanged",
        "CustomerErased",  # its addresses and labels are anonymised (docs/privacy.md)
    }
    for name in names:
        assert any(sub.context == "shipping" for sub in subscribers_for(name))


def test_carriers_speak_the_protocol():
    assert all(isinstance(carrier, Carrier) for carrier in CARRIERS.values())


@pytest.mark.django_db
def test_published_events_reach_shipping_through_outbox_and_inbox(rate_table):
    """Publish as the other contexts would, then run only shipping's deliveries — twice."""
    with transaction.atomic():
        publish(order_confirmed(40), inventory_adjusted(40, SPLIT), payment_processed(40))
    ours = list(Delivery.objects.filter(subscriber__startswith="shipping.").values_list("pk", flat=True))
    assert len(ours) == 3
    for delivery_id in ours:
        assert relay.deliver(delivery_id) == "done"
    Delivery.objects.filter(pk__in=ours).update(status=Delivery.Status.PENDING)  # a redelivery
    for delivery_id in ours:
        relay.deliver(delivery_id)
    assert Shipment.objects.filter(order_id=40).count() == 2
    assert set(Delivery.objects.filter(pk__in=ours).values_list("last_error", flat=True)) == {"already processed"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_payment_and_reservation_create_each_parcel_once(rate_table):
    deliver(order_confirmed(41))
    paid = payment_processed(41)
    reserved = inventory_adjusted(41, SPLIT)
    errors = run_at_once(lambda: deliver(paid), lambda: deliver(reserved), lambda: deliver(paid))
    assert errors == []
    assert Shipment.objects.filter(order_id=41).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_webhooks_apply_once(rate_table):
    from rest_framework.test import APIClient

    from flowmart.events.models import OutboxEvent
    from flowmart.shipping import services

    for event in (order_confirmed(42), inventory_adjusted(42, SPLIT[:1]), payment_processed(42)):
        deliver(event)
    shipment = Shipment.objects.get(order_id=42)
    services.dispatch_shipment(shipment.pk)
    body = tracking("evt-race", shipment.tracking_number, "delivered", 1)
    statuses = []

    def post():
        statuses.append(carrier_update(APIClient(), "postal", body).status_code)

    assert run_at_once(post, post, post) == []
    assert statuses == [200, 200, 200]
    assert TrackingEvent.objects.filter(event_id="evt-race").count() == 1
    assert OutboxEvent.objects.filter(name="ShipmentDelivered").count() == 1
