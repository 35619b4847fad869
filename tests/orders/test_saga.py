"""The saga seen from orders: each event moves the order (or is ignored as stale)."""

import logging

import pytest

from flowmart.common.errors import Conflict
from flowmart.common.money import Money
from flowmart.contracts.inventory import ReservationExpired
from flowmart.contracts.payments import PaymentActionRequired, PaymentDisputed
from flowmart.contracts.shipping import DeliveryFailed, ShipmentInTransit, ShipmentVoided
from flowmart.events.models import OutboxEvent
from flowmart.orders.models import OrderShipment
from flowmart.orders.services import lifecycle
from tests.support.contract_events import (
    out_of_stock,
    payment_held,
    payment_refunded,
    shipment_created,
    shipment_delivered,
    shipment_dispatched,
)

from .conftest import payment, reserved, status_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer, shop, place):
    return place(customer, {"MUG-1": 2, "TEE-1": 1})


def published(name, **match):
    return [
        e.payload for e in OutboxEvent.objects.filter(name=name) if all(e.payload[k] == v for k, v in match.items())
    ]


def created(order_id, shipment_id, warehouse="US-EAST"):
    return shipment_created(order_id, shipment_id, (), warehouse_code=warehouse, tracking_number=f"TRK{shipment_id}")


def dispatched(order_id, shipment_id, warehouse="US-EAST"):
    return shipment_dispatched(order_id, shipment_id, (), warehouse_code=warehouse)


def test_reservation_moves_the_order_to_awaiting_payment(customer, order, emit):
    emit(reserved(order))
    assert status_of(customer, order) == ("awaiting_payment", None)
    change = published("OrderStatusChanged", order_id=order)[-1]
    assert (change["previous_status"], change["status"]) == ("pending", "awaiting_payment")


def test_out_of_stock_cancels_the_order(customer, order, emit):
    emit(out_of_stock(order))
    assert status_of(customer, order) == ("cancelled", "out_of_stock")
    assert published("OrderCancelled", order_id=order)[0]["reason"] == "out_of_stock"


def test_successful_payment_makes_the_order_paid(customer, order, emit):
    emit(reserved(order))
    emit(payment(order))
    body = customer.get(f"/api/v1/orders/{order}/").json()
    assert (body["status"], body["payment_status"]) == ("paid", "paid")
    assert [entry["event"].split(":")[0] for entry in body["timeline"]] == ["pending", "awaiting_payment", "paid"]


@pytest.mark.parametrize(
    "code, reason",
    [("card_declined", "payment_failed"), ("insufficient_funds", "payment_failed"), ("fraudulent", "fraud_rejected")],
)
def test_failed_payment_cancels_the_order(customer, order, emit, code, reason):
    emit(reserved(order))
    emit(payment(order, status="failed", failure_code=code))
    body = customer.get(f"/api/v1/orders/{order}/").json()
    assert (body["status"], body["cancellation_reason"], body["payment_status"]) == ("cancelled", reason, "failed")
    assert published("OrderCancelled", order_id=order)[0]["reason"] == reason


def test_fraud_review_holds_the_order_then_rejection_cancels_it(customer, order, emit):
    emit(reserved(order))
    emit(payment_held(order))
    assert status_of(customer, order) == ("on_hold", None)
    emit(payment(order, status="failed", failure_code="fraudulent"))
    assert status_of(customer, order) == ("cancelled", "fraud_rejected")


def test_fraud_review_approval_makes_the_order_paid(customer, order, emit):
    emit(reserved(order))
    emit(payment_held(order, reasons=()))
    emit(payment(order))
    assert status_of(customer, order) == ("paid", None)


def test_action_required_keeps_the_order_awaiting_payment(customer, order, emit):
    emit(reserved(order))
    emit(PaymentActionRequired(order_id=order, payment_id=1, next_action_url="https://bank.example/3ds"))
    body = customer.get(f"/api/v1/orders/{order}/").json()
    assert (body["status"], body["payment_status"]) == ("awaiting_payment", "requires_action")


def test_shipped_once_every_shipment_left_and_delivered_once_all_arrived(customer, order, emit):
    emit(reserved(order), payment(order))
    emit(created(order, 501, "US-EAST"), created(order, 502, "DE-CENTRAL"))
    emit(dispatched(order, 501, "US-EAST"))
    assert status_of(customer, order)[0] == "paid"
    emit(dispatched(order, 502, "DE-CENTRAL"))
    assert status_of(customer, order)[0] == "shipped"
    emit(ShipmentInTransit(shipment_id=501, order_id=order), shipment_delivered(order, 501))
    assert status_of(customer, order)[0] == "shipped"
    emit(DeliveryFailed(shipment_id=502, order_id=order, reason="nobody home"))
    emit(shipment_delivered(order, 502))
    body = customer.get(f"/api/v1/orders/{order}/").json()
    assert body["status"] == "delivered"
    shipments = [
        {k: v for k, v in s.items() if k not in ("tracking_url", "tracking_events")} for s in body["shipments"]
    ]
    assert shipments == [
        {"id": 501, "status": "delivered", "carrier": "postal", "tracking_number": "TRK501", "warehouse": "US-EAST"},
        {"id": 502, "status": "delivered", "carrier": "postal", "tracking_number": "TRK502", "warehouse": "DE-CENTRAL"},
    ]
    steps = [(e["status"], e["place"]) for e in body["shipments"][1]["tracking_events"]]
    assert steps == [("dispatched", "DE-CENTRAL"), ("delivery_failed", ""), ("delivered", "")]
    assert any("nobody home" in entry["event"] for entry in body["timeline"])


def test_shipment_events_out_of_order_still_add_up(customer, order, emit):
    emit(payment(order))  # payments' answer overtook inventory's
    emit(dispatched(order, 601))  # before its ShipmentCreated
    assert status_of(customer, order)[0] == "shipped"
    emit(created(order, 601))
    body = customer.get(f"/api/v1/orders/{order}/").json()
    assert body["shipments"][0]["status"] == "dispatched" and body["shipments"][0]["tracking_number"] == "TRK601"


def test_voided_shipments_do_not_hold_the_order_back(customer, order, emit):
    emit(reserved(order), payment(order), created(order, 701), created(order, 702))
    emit(ShipmentVoided(shipment_id=702, order_id=order), dispatched(order, 701))
    assert status_of(customer, order)[0] == "shipped"


@pytest.mark.parametrize("paid", [False, True])
def test_expired_reservation_cancels_the_order(customer, order, emit, paid):
    emit(reserved(order))
    if paid:
        emit(payment(order))
    emit(ReservationExpired(order_id=order))
    assert status_of(customer, order) == ("cancelled", "expired")
    assert published("OrderCancelled", order_id=order)[0]["reason"] == "expired"


def test_stale_events_are_ignored_and_logged(customer, order, emit, caplog):
    emit(payment(order))
    with caplog.at_level(logging.WARNING, logger="flowmart.orders"):
        emit(reserved(order))  # late: the order is already paid
        emit(out_of_stock(order))
    assert status_of(customer, order) == ("paid", None)
    assert "paid → awaiting_payment refused" in caplog.text
    assert "OutOfStock for it is stale" in caplog.text


def test_illegal_transitions_are_refused(customer, order, emit, caplog):
    emit(out_of_stock(order))
    with caplog.at_level(logging.WARNING, logger="flowmart.orders"):
        emit(reserved(order), payment(order, status="failed", failure_code="card_declined"))
        emit(dispatched(order, 801), shipment_delivered(order, 801))
    assert status_of(customer, order) == ("cancelled", "out_of_stock")
    assert len(published("OrderCancelled", order_id=order)) == 1
    assert "cancelled → awaiting_payment refused" in caplog.text


def test_a_payment_for_a_cancelled_order_is_refunded(customer, order, emit):
    emit(out_of_stock(order))
    emit(payment(order, amount="65.55", payment_id=99))
    assert status_of(customer, order) == ("cancelled", "out_of_stock")
    refund = published("RefundRequested", order_id=order)[0]
    assert refund["reference"] == "late-payment-99" and refund["reason"] == "order_cancelled"
    assert refund["amount"] == {"amount": "65.55", "currency": "USD"}


def test_refunds_set_the_payment_status(customer, order, emit):
    emit(reserved(order), payment(order))
    emit(payment_refunded(order, "10.00", refund_id=1))
    assert customer.get(f"/api/v1/orders/{order}/").json()["payment_status"] == "partially_refunded"
    emit(payment_refunded(order, "55.55", refund_id=2))
    assert customer.get(f"/api/v1/orders/{order}/").json()["payment_status"] == "refunded"


def disputed(order_id):
    return PaymentDisputed(order_id=order_id, payment_id=1, amount=Money("65.55", "USD"), reason="fraudulent")


def test_a_dispute_puts_the_order_on_hold_for_operations(customer, order, emit):
    emit(reserved(order), payment(order), created(order, 801))
    emit(disputed(order))
    body = customer.get(f"/api/v1/orders/{order}/").json()
    assert (body["status"], body["payment_status"]) == ("on_hold", "disputed")
    assert "disputed" in body["timeline"][-1]["event"]
    assert customer.post(f"/api/v1/orders/{order}/cancel/").status_code == 409  # not while disputed

    emit(dispatched(order, 801), payment(order))  # shipping goes on; a stray success changes nothing
    assert status_of(customer, order) == ("on_hold", None)
    lifecycle.release_dispute_hold(order, staff="ops@flowmart.local")
    assert status_of(customer, order) == ("shipped", None)  # where its shipments say it is


def test_only_a_dispute_hold_can_be_released(customer, order, emit):
    emit(reserved(order), payment_held(order, score=60, reasons=("velocity",)))
    with pytest.raises(Conflict):
        lifecycle.release_dispute_hold(order, staff="ops@flowmart.local")
    assert status_of(customer, order) == ("on_hold", None)


def test_staff_release_a_dispute_hold_from_the_admin(customer, order, emit, admin_client):
    emit(reserved(order), payment(order), disputed(order))
    response = admin_client.post(
        "/admin/orders/order/", {"action": "release_dispute_hold", "_selected_action": [order]}, follow=True
    )
    assert response.status_code == 200
    assert status_of(customer, order) == ("paid", None)


def test_a_redelivered_event_has_no_second_effect(customer, order, emit):
    from flowmart.events.models import Delivery
    from flowmart.events.relay import deliver

    ev = out_of_stock(order)
    emit(ev)
    for delivery in Delivery.objects.filter(event__event_id=ev.event_id):
        Delivery.objects.filter(pk=delivery.pk).update(status="pending")
        deliver(delivery.pk)
    assert len(published("OrderCancelled", order_id=order)) == 1


def test_saga_moves_write_their_timeline_entries_in_order(customer, order, emit):
    """move_at_once() writes move()'s timeline entry in its own statement: same text, same order."""
    emit(reserved(order), payment(order))
    timeline = [entry["event"] for entry in customer.get(f"/api/v1/orders/{order}/").json()["timeline"]]
    assert timeline[-2:] == ["awaiting_payment: stock reserved", "paid: payment succeeded"]


def test_a_parcel_of_an_unknown_order_is_ignored(customer, order, emit):
    emit(created(order + 1000, 801))  # no such order: logged and ignored, nothing written
    emit(created(order, 802), created(order, 802))  # a redelivered Created adds nothing
    assert list(OrderShipment.objects.values_list("order_id", "shipment_id")) == [(order, 802)]
