"""A customer with something in every context (an address, a delivered order and its
payment and parcel, a subscription, messages, preferences, a push subscription, a
back-in-stock request), built through the public API like the flows do."""

import uuid
from types import SimpleNamespace

import pytest

from flowmart.notifications.models import BackInStockRequest
from flowmart.subscriptions.models import Plan
from tests.flows.conftest import ADDRESS_US, RELAXED_FRAUD, carrier_update, checkout, order, shop, staff

__all__ = ["shop", "staff"]

PASSWORD = "Buyer-pass-123"
PUSH_BODY = {"endpoint": "https://eu.push.example.net/secret-endpoint", "keys": {"p256dh": "B" * 65, "auth": "a" * 22}}


@pytest.fixture(autouse=True)
def _documents_in_tmp(settings, tmp_path):
    """Billing stores the invoices' PDFs through default_storage: keep them out of the repository."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _relaxed_fraud(settings):
    settings.PAYMENTS_FRAUD = {**RELAXED_FRAUD, "MAX_FAILED_PER_CUSTOMER": 10_000}
    settings.WEBPUSH = {**settings.WEBPUSH, "ALLOWED_HOSTS": [".push.example.net"]}


def register(name: str):
    from rest_framework.test import APIClient

    client = APIClient()
    email = f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com"
    response = client.post(
        "/api/v1/auth/register/", {"email": email, "password": PASSWORD, "first_name": name, "last_name": "Lovelace"}
    )
    assert response.status_code == 201, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    client.customer_id, client.email = response.json()["id"], email
    return client


def deliver(staff_client, buyer, order_id) -> dict:
    """Dispatch and deliver every parcel of the order: it is no longer in flight."""
    for shipment in order(buyer, order_id)["shipments"]:
        assert staff_client.post(f"/api/v1/shipping/shipments/{shipment['id']}/dispatch/").status_code == 200
        assert carrier_update(shipment, "delivered").status_code == 200
    delivered = order(buyer, order_id)
    assert delivered["status"] == "delivered", delivered
    return delivered


def subscribe(client, plan: Plan) -> dict:
    body = {
        "plan_id": plan.pk,
        "quantity": 1,
        "shipping_address": ADDRESS_US,
        "shipping_method": "standard",
        "payment": {"provider": "dummy", "payment_method": "pm_card_visa"},
    }
    response = client.post("/api/v1/subscriptions/", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.content
    return response.json()


def make_shopper(name: str, staff_client, shop) -> SimpleNamespace:
    buyer = register(name)
    address = {**ADDRESS_US, "name": f"{name} Lovelace", "line1": f"12 {name} Street", "phone": "+15555550123"}
    assert buyer.post("/api/v1/me/addresses/", address, format="json").status_code == 201
    phone = {"Ada": "+15555550188"}.get(name, "+15555550199")
    assert buyer.patch("/api/v1/me/", {"phone": phone}, format="json").status_code == 200
    placed = checkout(buyer, {"FLOW-RED": 1}, address=address)
    assert placed["status"] == "paid", placed
    deliver(staff_client, buyer, placed["order_id"])
    plan = Plan.objects.filter(sku="FLOW-RED").first() or _plan()
    subscription = subscribe(buyer, plan)
    for renewal_order in _orders_of(buyer):
        if renewal_order["status"] == "paid":
            deliver(staff_client, buyer, renewal_order["id"])
    assert (
        buyer.post(
            "/api/v1/me/push-subscriptions/", PUSH_BODY | {"endpoint": PUSH_BODY["endpoint"] + name}, format="json"
        ).status_code
        == 201
    )
    assert (
        buyer.put(
            "/api/v1/me/notification-preferences/", {"email": True, "sms": True, "push": False}, format="json"
        ).status_code
        == 200
    )
    BackInStockRequest.objects.create(customer_id=buyer.customer_id, product_id=shop.product.pk, sku="FLOW-BLUE")
    return SimpleNamespace(
        client=buyer,
        id=buyer.customer_id,
        email=buyer.email,
        address=address,
        order_id=placed["order_id"],
        subscription_id=subscription["id"],
    )


def _orders_of(buyer) -> list[dict]:
    response = buyer.get("/api/v1/orders/")
    assert response.status_code == 200, response.content
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def _plan() -> Plan:
    from flowmart.subscriptions.models import Variant

    variant = Variant.objects.get(sku="FLOW-RED")
    return Plan.objects.create(
        name="FLOW-RED monthly",
        sku="FLOW-RED",
        product_id=variant.product_id,
        seller_id=variant.seller_id,
        interval="month",
        interval_count=1,
        discount_percent=10,
    )


@pytest.fixture
def ada(shop, staff):
    return make_shopper("Ada", staff, shop)


@pytest.fixture
def bob(shop, staff, ada):
    return make_shopper("Bob", staff, shop)
