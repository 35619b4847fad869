"""The checkout saga on the `stripe` provider: the real SDK over HTTP against the local fake
of the Stripe API, and the signed webhook confirming a payment that needed 3-D Secure."""

import uuid
from decimal import Decimal

import pytest

from flowmart.payments.models import Payment, PaymentAttempt
from tests.payments.conftest import fake_stripe, stripe_on  # noqa: F401 - fixtures
from tests.payments.stripe_signing import event, sign

from .conftest import ADDRESS_US, ledgers_balance, order, register, stock

pytestmark = pytest.mark.django_db(transaction=True)


def stripe_checkout(client, payment_method: str) -> dict:
    cart = client.post("/api/v1/carts/").json()
    client.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 1})
    body = {
        "cart_id": cart["id"],
        "shipping_address": ADDRESS_US,
        "shipping_method": "standard",
        "payment": {"provider": "stripe", "payment_method": payment_method},
    }
    response = client.post("/api/v1/checkout/", body, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize(
    ("payment_method", "status", "reason"),
    [
        ("pm_card_visa", "paid", None),
        ("pm_card_chargeDeclined", "cancelled", "payment_failed"),
        ("pm_card_chargeDeclinedInsufficientFunds", "cancelled", "payment_failed"),
        ("pm_card_authenticationRequired", "awaiting_payment", None),
        ("pm_card_radarBlock", "cancelled", "fraud_rejected"),
    ],
)
def test_each_test_card_on_stripe(shop, stripe_on, payment_method, status, reason):  # noqa: F811
    buyer = register()
    placed = stripe_checkout(buyer, payment_method)
    result = order(buyer, placed["order_id"])
    assert (result["status"], result["cancellation_reason"]) == (status, reason)
    assert len(stripe_on.charges) == (1 if status == "paid" else 0)  # money moved at Stripe only when paid
    ledgers_balance()


def test_webhook_confirms_an_authenticated_payment_once(shop, stripe_on, api_client):  # noqa: F811
    buyer = register()
    placed = stripe_checkout(buyer, "pm_card_authenticationRequired")
    attempt = PaymentAttempt.objects.get(payment__order_id=placed["order_id"])
    intent = stripe_on.authenticate(attempt.provider_intent_id)
    payload = event("payment_intent.succeeded", intent)
    for _ in range(2):  # Stripe delivers twice; the second is a no-op
        response = api_client.generic(
            "POST",
            "/api/v1/payments/stripe/webhook/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_test_flowmart"),
        )
        assert response.status_code == 200, response.content
    paid = order(buyer, placed["order_id"])
    assert paid["status"] == "paid"
    assert Payment.objects.get(order_id=placed["order_id"]).captured_amount == Decimal(
        paid["totals"]["total"]["amount"]
    )
    assert stock("FLOW-RED") == {"US-EAST": (10, 1)}
    ledgers_balance()


def test_a_dispute_webhook_puts_the_order_on_hold(shop, stripe_on, api_client):  # noqa: F811
    buyer = register()
    placed = stripe_checkout(buyer, "pm_card_visa")
    attempt = PaymentAttempt.objects.get(payment__order_id=placed["order_id"])
    dispute = {"id": "dp_flow_1", "object": "dispute", "payment_intent": attempt.provider_intent_id,
               "amount": int(attempt.amount * 100), "currency": "usd", "reason": "fraudulent"}  # fmt: skip
    payload = event("charge.dispute.created", dispute)
    response = api_client.generic("POST", "/api/v1/payments/stripe/webhook/", payload,
                                  content_type="application/json",
                                  HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_test_flowmart"))  # fmt: skip
    assert response.status_code == 200, response.content
    held = order(buyer, placed["order_id"])
    assert (held["status"], held["payment_status"]) == ("on_hold", "disputed")
    ledgers_balance()
