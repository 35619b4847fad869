"""The order body written by hand (api/order_body.py) is the one OrderSerializer's declared
fields give, for an order with everything a body can hold."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework import serializers

from flowmart.common import locales
from flowmart.contracts.shipping import ShipmentCreated
from flowmart.orders import selectors
from flowmart.orders.api.serializers import OrderSerializer
from flowmart.orders.models import Order, OrderLine, OrderReturn, OrderShipment, OrderTrackingEvent

from .conftest import payment, reserved

pytestmark = pytest.mark.django_db


def _by_fields(order) -> dict:
    """What DRF builds from OrderSerializer's declared fields."""
    return serializers.ModelSerializer.to_representation(OrderSerializer(), order)


@pytest.fixture
def full_order(customer, shop, place, emit):
    order_id = place(customer, {"MUG-1": 2, "TEE-1": 1})  # to Berlin: the lines carry a tax rate
    emit(reserved(order_id), payment(order_id))
    emit(
        ShipmentCreated(
            shipment_id=77,
            order_id=order_id,
            warehouse_code="DE-CENTRAL",
            carrier="postal",
            method="standard",
            tracking_number="T77",
            lines=(),
        )
    )
    shipment = OrderShipment.objects.get(shipment_id=77)
    now = timezone.now()
    OrderTrackingEvent.objects.create(shipment=shipment, status="in_transit", place="Kassel", at=now)
    OrderTrackingEvent.objects.create(shipment=shipment, status="delivered", place="", at=now + timedelta(hours=5))
    line = OrderLine.objects.filter(order_id=order_id).order_by("id").first()
    line.original_unit_price, line.sale = Decimal("15.00"), {"kind": "sale", "id": 3, "name": "Spring", "ends_at": None}
    line.returned_quantity = 1
    line.save()
    OrderReturn.objects.create(
        order_id=order_id, return_id="r1", lines=[{"sku": "MUG-1", "quantity": 1}], reason="too small"
    )
    OrderReturn.objects.create(
        order_id=order_id,
        return_id="r2",
        status=OrderReturn.Status.RECEIVED,
        lines=[{"sku": "MUG-1", "quantity": 1}],
        reason="broken",
        tracking_number="RT1",
        label_url="https://labels.example/r2.pdf",
        refund_amount=Decimal("12.50"),
    )
    Order.objects.filter(pk=order_id).update(
        next_action={"type": "redirect_to_url", "redirect_url": "https://pay.example/3ds", "internal": "x"},
        subscription_id=5,
    )
    return selectors.order_of(customer.user.id, order_id)


def test_written_body_equals_the_declared_fields(full_order):
    body = OrderSerializer(full_order).data
    assert body == _by_fields(full_order)
    assert body["next_action"] == {"type": "redirect_to_url", "redirect_url": "https://pay.example/3ds"}
    assert [r["refund"] for r in body["returns"]] == [None, {"amount": "12.50", "currency": "USD"}]
    assert len(body["shipments"][0]["tracking_events"]) == 2 and body["lines"][0]["tax_rate"] is not None


def test_a_bare_order_too(customer, shop, place):
    order = selectors.order_of(customer.user.id, place(customer, {"LAMP-1": 1}))
    assert OrderSerializer(order).data == _by_fields(order)


def test_money_shows_its_display_when_a_locale_is_asked(full_order):
    token = locales.activate("de")
    try:
        body = OrderSerializer(full_order).data
        assert body == _by_fields(full_order)
    finally:
        locales.reset(token)
    assert "display" in body["totals"]["total"] and "display" in body["returns"][1]["refund"]
