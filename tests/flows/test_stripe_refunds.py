"""Refunds made at Stripe (the dashboard, not FlowMart) arrive as signed `charge.refunded`
webhooks. A refund of the whole amount before anything shipped stops fulfilment: payments
publishes PaymentRefunded(fully_refunded), orders cancels (payment_refunded), shipping voids
the parcel and inventory releases the stock. Partial refunds are booked and change nothing
else; a full refund after dispatch puts the order on hold for operations."""

import time
import uuid

import pytest

from flowmart.events.models import OutboxEvent
from flowmart.payments.models import LedgerEntry, Payment, PaymentAttempt
from flowmart.shipping.models import Shipment
from tests.payments.conftest import WEBHOOK_SECRET, fake_stripe, stripe_on  # noqa: F401 - fixtures
from tests.payments.stripe_signing import event, sign

from .conftest import ADDRESS_US, ledgers_balance, order, register, stock

pytestmark = pytest.mark.django_db(transaction=True)
WEBHOOK = "/api/v1/payments/stripe/webhook/"


def paid_order(client) -> tuple[int, str]:
    """A FLOW-RED order paid on the stripe provider: (order id, Stripe intent id)."""
    cart = client.post("/api/v1/carts/").json()
    client.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 1})
    body = {
        "cart_id": cart["id"],
        "shipping_address": ADDRESS_US,
        "shipping_method": "standard",
        "payment": {"provider": "stripe", "payment_method": "pm_card_visa"},
    }
    response = client.post("/api/v1/checkout/", body, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.content
    order_id = response.json()["order_id"]
    assert order(client, order_id)["status"] == "paid"
    return order_id, PaymentAttempt.objects.get(payment__order_id=order_id).provider_intent_id


def deliver(client, payload: str, timestamp: int | None = None):
    return client.generic(
        "POST",
        WEBHOOK,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, WEBHOOK_SECRET, timestamp),
    )


def refunded_at_stripe(fake, client, intent_id: str, cents: int | None = None) -> str:
    """Refund on the 'dashboard' and deliver the charge.refunded Stripe sends; returns the payload."""
    intent = fake.intents[intent_id]
    fake.refund_outside(intent_id, cents if cents is not None else intent["amount_received"])
    payload = event("charge.refunded", fake.charge(intent_id))
    assert deliver(client, payload).status_code == 200
    return payload


def events_named(name: str, order_id: int) -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(name=name, payload__order_id=order_id)]


def test_a_full_refund_at_stripe_cancels_voids_and_releases(shop, stripe_on, api_client):  # noqa: F811
    buyer = register()
    order_id, intent_id = paid_order(buyer)
    assert [s["status"] for s in order(buyer, order_id)["shipments"]] == ["created"]
    assert stock("FLOW-RED") == {"US-EAST": (10, 1)}

    payload = refunded_at_stripe(stripe_on, api_client, intent_id)
    assert deliver(api_client, payload).json()["duplicate"] is True  # Stripe retries: one effect

    body = order(buyer, order_id)
    assert (body["status"], body["cancellation_reason"], body["payment_status"]) == (
        "cancelled",
        "payment_refunded",
        "refunded",
    )
    assert [s["status"] for s in body["shipments"]] == ["voided"]
    assert Shipment.objects.get(order_id=order_id).status == Shipment.Status.VOIDED
    assert stock("FLOW-RED") == {"US-EAST": (10, 0)}  # never shipped: back on sale
    payment = Payment.objects.get(order_id=order_id)
    assert (payment.status, payment.refunded_amount) == (Payment.Status.REFUNDED, payment.captured_amount)
    assert len(stripe_on.refunds) == 1  # the cancellation refunded nothing more
    assert [e["fully_refunded"] for e in events_named("PaymentRefunded", order_id)] == [True]
    assert [e["reason"] for e in events_named("OrderCancelled", order_id)] == ["payment_refunded"]
    ledgers_balance()


def test_a_partial_refund_at_stripe_is_booked_and_fulfilment_goes_on(shop, stripe_on, api_client):  # noqa: F811
    buyer = register()
    order_id, intent_id = paid_order(buyer)
    refunded_at_stripe(stripe_on, api_client, intent_id, cents=500)

    body = order(buyer, order_id)
    assert (body["status"], body["payment_status"]) == ("paid", "partially_refunded")
    assert [s["status"] for s in body["shipments"]] == ["created"]
    assert stock("FLOW-RED") == {"US-EAST": (10, 1)}
    refund_lines = LedgerEntry.objects.filter(order_id=order_id, kind="refund")
    assert refund_lines.exists() and sum(e.debit for e in refund_lines) == 5
    assert [e["fully_refunded"] for e in events_named("PaymentRefunded", order_id)] == [False]
    ledgers_balance()


@pytest.mark.parametrize("order_of_arrival", ["in order", "reversed"])
def test_partial_then_full_refund_webhooks_in_any_order_end_the_same(
    shop,
    stripe_on,  # noqa: F811
    api_client,
    order_of_arrival,
):
    buyer = register()
    order_id, intent_id = paid_order(buyer)
    total = stripe_on.intents[intent_id]["amount_received"]
    stripe_on.refund_outside(intent_id, 500)
    partial = event("charge.refunded", stripe_on.charge(intent_id))
    stripe_on.refund_outside(intent_id, total - 500)
    full = event("charge.refunded", stripe_on.charge(intent_id))
    for payload in [partial, full] if order_of_arrival == "in order" else [full, partial]:
        assert deliver(api_client, payload).status_code == 200

    body = order(buyer, order_id)
    assert (body["status"], body["cancellation_reason"]) == ("cancelled", "payment_refunded")
    assert len(events_named("OrderCancelled", order_id)) == 1
    assert Payment.objects.get(order_id=order_id).refunded_amount * 100 == total
    assert stock("FLOW-RED") == {"US-EAST": (10, 0)}
    ledgers_balance()


def test_a_full_refund_after_dispatch_holds_the_order_for_operations(shop, stripe_on, api_client, staff):  # noqa: F811
    buyer = register()
    order_id, intent_id = paid_order(buyer)
    shipment = Shipment.objects.get(order_id=order_id)
    assert staff.post(f"/api/v1/shipping/shipments/{shipment.pk}/dispatch/").status_code == 200
    assert order(buyer, order_id)["status"] == "shipped"

    refunded_at_stripe(stripe_on, api_client, intent_id)

    body = order(buyer, order_id)
    assert (body["status"], body["payment_status"]) == ("on_hold", "refunded")
    assert "after dispatch" in body["timeline"][-1]["event"]
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.DISPATCHED  # it has left
    assert stock("FLOW-RED") == {"US-EAST": (9, 0)}  # consumed by the dispatch, not released
    assert not events_named("OrderCancelled", order_id)
    ledgers_balance()


@pytest.mark.parametrize(("skew", "status"), [(-301, 400), (-200, 200), (200, 200), (301, 400), (3600, 400)])
def test_webhook_timestamps_are_checked_both_ways(api_client, stripe_on, skew, status):  # noqa: F811
    payload = event("customer.created", {"id": "cus_clock"})
    response = deliver(api_client, payload, timestamp=int(time.time()) + skew)
    assert response.status_code == status, response.content
    if status == 400:
        assert response.json()["error"]["code"] == "invalid_signature"
