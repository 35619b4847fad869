"""Guests through the API: a cart kept by its token, merged into the customer's cart at
login, guest checkout with an email address (limits still apply), the order behind a signed
link that the confirmation email carries, and the order claimed at registration."""

import uuid

import pytest
from django.core import mail
from rest_framework.test import APIClient

from flowmart.notifications.models import Message
from flowmart.payments.models import FraudAssessment

from .conftest import ADDRESS_US, register

pytestmark = pytest.mark.django_db(transaction=True)


def guest_cart(client: APIClient, lines: dict[str, int]) -> dict:
    cart = client.post("/api/v1/carts/")
    assert cart.status_code == 201, cart.content
    cart = cart.json()
    assert cart["token"]
    client.credentials(HTTP_X_CART_TOKEN=cart["token"])
    for sku, quantity in lines.items():
        added = client.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": sku, "quantity": quantity})
        assert added.status_code == 201, added.content
    return cart


def guest_checkout(client: APIClient, cart_id, email="guest@example.com", key=None):
    body = {
        "cart_id": cart_id,
        "email": email,
        "shipping_address": ADDRESS_US,
        "shipping_method": "standard",
        "payment": {"provider": "dummy", "payment_method": "pm_card_visa"},
    }
    return client.post("/api/v1/checkout/", body, HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex)


def test_a_guest_cart_is_reached_only_with_its_token(shop):
    guest = APIClient()
    cart = guest_cart(guest, {"FLOW-RED": 2})
    assert guest.get(f"/api/v1/carts/{cart['id']}/").json()["items"][0]["quantity"] == 2
    assert guest.post("/api/v1/carts/").status_code == 200  # the token's open cart again
    assert APIClient().get(f"/api/v1/carts/{cart['id']}/").status_code == 401
    stranger = APIClient(HTTP_X_CART_TOKEN="not-the-token")
    assert stranger.get(f"/api/v1/carts/{cart['id']}/").status_code == 404
    assert register().get(f"/api/v1/carts/{cart['id']}/").status_code == 404  # not a customer's either


def test_guest_checkout_with_an_email_and_the_signed_link(shop):
    guest = APIClient()
    cart = guest_cart(guest, {"FLOW-RED": 1})
    missing = guest_checkout(guest, cart["id"], email="")
    assert missing.status_code == 400 and "email" in missing.json()["error"]["fields"]

    placed = guest_checkout(guest, cart["id"], email="Guest.Buyer@example.com")
    assert placed.status_code == 201, placed.content
    body = placed.json()
    assert body["status"] == "paid"
    link = body["guest_order_url"]
    path = link[link.index("/api/v1/guest-orders/") :]
    seen = APIClient().get(path)
    assert seen.status_code == 200, seen.content
    assert (seen.json()["id"], seen.json()["status"]) == (body["order_id"], "paid")
    assert seen.json()["shipments"]

    forged = path.replace("/guest-orders/", "/guest-orders/x")
    assert APIClient().get(forged).status_code == 404
    assert APIClient().get(f"/api/v1/orders/{body['order_id']}/").status_code == 401

    [confirmation] = Message.objects.filter(message_type="order_confirmation", channel="email")
    assert confirmation.to == "Guest.Buyer@example.com"
    emailed = confirmation.context["order_url"]  # the guest's signed link, not an account page
    assert "/api/v1/guest-orders/" in emailed and "/account/" not in emailed
    assert APIClient().get(emailed[emailed.index("/api/") :]).json()["id"] == body["order_id"]
    assert any(emailed in message.body for message in mail.outbox)


def test_guest_checkout_is_rate_limited_per_client_address(shop, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "checkout": "1/min"},
    }
    first, second = APIClient(), APIClient()
    assert guest_checkout(first, guest_cart(first, {"FLOW-RED": 1})["id"]).status_code == 201
    refused = guest_checkout(second, guest_cart(second, {"FLOW-RED": 1})["id"], email="other@example.com")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "throttled"


def test_guest_orders_meet_the_fraud_velocity_rules_by_email(shop, settings):
    settings.PAYMENTS_FRAUD = {**settings.PAYMENTS_FRAUD, "MAX_ORDERS_PER_CUSTOMER": 2}
    placed = []
    for email in ("same@example.com", "SAME@example.com", "other@example.com", "same@example.com"):
        guest = APIClient()
        placed.append(guest_checkout(guest, guest_cart(guest, {"FLOW-RED": 1})["id"], email=email).json())
    assessments = [FraudAssessment.objects.get(payment__order_id=p["order_id"]) for p in placed]
    counted = [a.inputs["customer_orders_in_window"] for a in assessments]
    assert counted == [0, 1, 0, 2]  # a guest is counted by email (any case), not lumped with every guest
    assert "velocity_customer" in assessments[-1].reasons and "velocity_customer" not in assessments[2].reasons


def test_the_guest_cart_is_merged_into_the_customers_cart_at_login(shop):
    customer = register()
    email = customer.get("/api/v1/me/").json()["email"]
    mine = customer.post("/api/v1/carts/").json()
    customer.post(f"/api/v1/carts/{mine['id']}/items/", {"sku": "FLOW-RED", "quantity": 1})

    guest = APIClient()
    cart = guest_cart(guest, {"FLOW-RED": 2, "FLOW-BLUE": 1})
    login = guest.post("/api/v1/auth/token/", {"email": email, "password": "Buyer-pass-123"})
    assert login.status_code == 200, login.content

    merged = customer.get(f"/api/v1/carts/{mine['id']}/").json()
    assert {i["sku"]: i["quantity"] for i in merged["items"]} == {"FLOW-RED": 3, "FLOW-BLUE": 1}
    assert guest.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 1}).status_code == 409


def test_a_guests_cart_becomes_the_new_customers_cart_at_registration(shop):
    guest = APIClient()
    cart = guest_cart(guest, {"FLOW-BLUE": 2})
    registered = guest.post(
        "/api/v1/auth/register/", {"email": f"new-{uuid.uuid4().hex[:6]}@example.com", "password": "Buyer-pass-123"}
    )
    assert registered.status_code == 201
    customer = APIClient()
    customer.credentials(HTTP_AUTHORIZATION=f"Bearer {registered.json()['token']}")
    opened = customer.post("/api/v1/carts/").json()
    assert opened["id"] != cart["id"] and opened["token"] is None
    assert [(i["sku"], i["quantity"]) for i in opened["items"]] == [("FLOW-BLUE", 2)]


def test_the_order_is_claimed_when_the_guest_registers_with_its_email(shop):
    guest = APIClient()
    email = f"claim-{uuid.uuid4().hex[:6]}@example.com"
    placed = guest_checkout(guest, guest_cart(guest, {"FLOW-RED": 1})["id"], email=email).json()
    [shipment] = (
        APIClient().get(placed["guest_order_url"][placed["guest_order_url"].index("/api/") :]).json()["shipments"]
    )

    registered = APIClient().post("/api/v1/auth/register/", {"email": email.upper(), "password": "Buyer-pass-123"})
    assert registered.status_code == 201, registered.content
    customer = APIClient()
    customer.credentials(HTTP_AUTHORIZATION=f"Bearer {registered.json()['token']}")
    listed = customer.get("/api/v1/orders/").json()["results"]
    assert [o["id"] for o in listed] == [placed["order_id"]]
    assert "claimed" in listed[0]["timeline"][-1]["event"]
    assert customer.get(f"/api/v1/shipping/shipments/{shipment['id']}/").status_code == 200  # shipping heard it
    assert register().get(f"/api/v1/shipping/shipments/{shipment['id']}/").status_code == 404
