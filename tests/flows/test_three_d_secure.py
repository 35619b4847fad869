"""3-D Secure through the API: the checkout and the order tell the client what to do next
(`next_action`), the dummy provider's own page can be clicked through, and the payment
completes from the provider's notification or the return URL, exactly once."""

import re
import uuid
from decimal import Decimal

import pytest

from flowmart.events.models import OutboxEvent
from flowmart.payments.models import Payment, PaymentAttempt
from tests.payments.conftest import fake_stripe, stripe_on  # noqa: F401 - fixtures

from .conftest import ADDRESS_US, checkout, ledgers_balance, order, register, stock

pytestmark = pytest.mark.django_db(transaction=True)


def processed(order_id: int) -> list[dict]:
    rows = OutboxEvent.objects.filter(name="PaymentProcessed", payload__order_id=order_id)
    return [row.payload for row in rows]


def authentication_path(placed: dict) -> str:
    action = placed["next_action"]
    assert action["type"] == "redirect_to_url", action
    match = re.search(r"/dummy-provider/authenticate/[^/]+/$", action["redirect_url"])
    assert match, action["redirect_url"]
    return match.group(0)


def test_the_checkout_and_the_order_say_what_to_do_next(shop):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1}, payment_method="pm_card_authenticationRequired")
    assert placed["status"] == "awaiting_payment"
    path = authentication_path(placed)
    current = order(buyer, placed["order_id"])
    assert (current["payment_status"], current["next_action"]) == ("requires_action", placed["next_action"])
    visa = checkout(buyer, {"FLOW-RED": 1})
    assert visa["next_action"] is None and order(buyer, visa["order_id"])["next_action"] is None
    assert path.startswith("/dummy-provider/")


def test_approving_on_the_dummy_page_pays_once_whichever_door_comes_back(shop, client):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 2}, payment_method="pm_card_authenticationRequired")
    path = authentication_path(placed)

    page = client.get(path)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert b"Approve" in page.content and b"Decline" in page.content

    decided = client.post(path, {"result": "approve"})
    assert decided.status_code == 303
    back = decided["Location"]
    assert back.startswith("/api/v1/payments/return/?payment_intent=dpi_")
    for _ in range(2):  # the browser comes back (and reloads): settled already by the provider's notice
        returned = client.get(back)
        assert returned.status_code == 200, returned.content
        assert returned.json() == {"order_id": placed["order_id"], "payment_status": "succeeded"}
    again = client.post(path, {"result": "approve"})  # a double click on the bank's page
    assert again.status_code == 200 and b"already approved" in again.content

    paid = order(buyer, placed["order_id"])
    assert (paid["status"], paid["payment_status"], paid["next_action"]) == ("paid", "paid", None)
    assert [e["status"] for e in processed(placed["order_id"])] == ["succeeded"]
    payment = Payment.objects.get(order_id=placed["order_id"])
    assert payment.captured_amount == Decimal(paid["totals"]["total"]["amount"])
    assert stock("FLOW-RED") == {"US-EAST": (10, 2)}
    ledgers_balance()


def test_declining_on_the_dummy_page_cancels_the_order_once(shop, client):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1}, payment_method="pm_card_authenticationRequired")
    path = authentication_path(placed)
    assert client.post(path, {"result": "decline"}).status_code == 303
    assert client.post(path, {"result": "approve"}).status_code == 200  # decided: nothing changes
    cancelled = order(buyer, placed["order_id"])
    assert (cancelled["status"], cancelled["cancellation_reason"]) == ("cancelled", "payment_failed")
    assert cancelled["next_action"] is None
    assert [e["failure_code"] for e in processed(placed["order_id"])] == ["authentication_required"]
    assert stock("FLOW-RED") == {"US-EAST": (10, 0)}


def test_the_return_url_alone_completes_the_payment(shop, client):
    """The provider's notice may be lost: the customer's browser coming back settles it."""
    from flowmart.payments.gateways.dummy import DummyGateway

    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1}, payment_method="pm_card_authenticationRequired")
    intent = authentication_path(placed).rstrip("/").rsplit("/", 1)[1]
    DummyGateway().complete_authentication(intent)  # the bank approved; no notice reached us
    assert order(buyer, placed["order_id"])["status"] == "awaiting_payment"
    returned = client.get(f"/api/v1/payments/return/?payment_intent={intent}")
    assert returned.json()["payment_status"] == "succeeded"
    assert order(buyer, placed["order_id"])["status"] == "paid"
    assert len(processed(placed["order_id"])) == 1
    assert client.get("/api/v1/payments/return/?payment_intent=dpi_nope").status_code == 404


def test_the_dummy_page_never_redirects_off_the_shop(shop, client):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1}, payment_method="pm_card_authenticationRequired")
    path = authentication_path(placed)
    evil = client.post(path, {"result": "approve", "return_url": "https://evil.example/steal"})
    assert evil["Location"].startswith("/api/v1/payments/return/")
    assert client.get("/dummy-provider/authenticate/dpi_unknown/").status_code == 404


def test_stripe_hands_the_client_secret_and_completes_once(shop, stripe_on, client):  # noqa: F811
    from tests.payments.stripe_signing import event, sign

    buyer = register()
    cart = buyer.post("/api/v1/carts/").json()
    buyer.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 1})
    body = {
        "cart_id": cart["id"],
        "shipping_address": ADDRESS_US,
        "shipping_method": "standard",
        "payment": {"provider": "stripe", "payment_method": "pm_card_authenticationRequired"},
    }
    placed = buyer.post("/api/v1/checkout/", body, HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex).json()
    attempt = PaymentAttempt.objects.get(payment__order_id=placed["order_id"])
    assert placed["next_action"]["type"] == "use_stripe_sdk"
    assert placed["next_action"]["client_secret"].startswith(f"{attempt.provider_intent_id}_secret_")

    intent = stripe_on.authenticate(attempt.provider_intent_id)  # Stripe.js did 3-D Secure
    returned = client.get(f"/api/v1/payments/return/?payment_intent={intent['id']}")
    assert returned.json() == {"order_id": placed["order_id"], "payment_status": "succeeded"}
    payload = event("payment_intent.succeeded", intent)  # the webhook arrives afterwards
    hook = client.generic(
        "POST",
        "/api/v1/payments/stripe/webhook/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_test_flowmart"),
    )
    assert hook.status_code == 200
    assert order(buyer, placed["order_id"])["status"] == "paid"
    assert len(processed(placed["order_id"])) == 1
    ledgers_balance()
