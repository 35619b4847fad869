"""GET /api/v1/me/export/: every context's part of one customer's data, and nothing else:
no card data, no credentials, no other customer."""

import json

import pytest
from rest_framework.test import APIClient

from flowmart.common import privacy
from flowmart.customers.models import User
from flowmart.payments.models import Payment

pytestmark = pytest.mark.django_db(transaction=True)

EXPORT = "/api/v1/me/export/"


def test_the_export_holds_every_contexts_part_of_the_callers_data(ada, bob):
    response = ada.client.get(EXPORT)
    assert response.status_code == 200, response.content
    assert "attachment" in response["Content-Disposition"]
    body = response.json()
    assert body["customer_id"] == ada.id
    parts = body["contexts"]
    assert {
        "customers",
        "orders",
        "payments",
        "shipping",
        "subscriptions",
        "notifications",
        "reviews",
        "billing",
    } <= set(parts)

    assert parts["customers"]["profile"]["email"] == ada.email
    assert parts["customers"]["profile"]["phone"] == "+15555550188"
    assert [a["line1"] for a in parts["customers"]["addresses"]] == ["12 Ada Street"]
    orders = {o["id"]: o for o in parts["orders"]["orders"]}
    assert orders[ada.order_id]["shipping_address"]["line1"] == "12 Ada Street"
    assert orders[ada.order_id]["lines"][0]["sku"] == "FLOW-RED"
    assert ada.order_id in {p["order_id"] for p in parts["payments"]["payments"]}
    assert ada.order_id in {s["order_id"] for s in parts["shipping"]["shipments"]}
    assert parts["shipping"]["shipments"][0]["tracking"]  # dispatch and delivery
    assert [s["id"] for s in parts["subscriptions"]["subscriptions"]] == [ada.subscription_id]
    notifications = parts["notifications"]
    assert any(m["type"] for m in notifications["messages"])  # at least the order emails
    assert notifications["preferences"]["sms"] is True
    assert [p["active"] for p in notifications["push_subscriptions"]] == [True]
    assert [r["sku"] for r in notifications["back_in_stock_requests"]] == ["FLOW-BLUE"]


def test_the_export_carries_no_card_data_secrets_or_other_customers(ada, bob):
    text = json.dumps(ada.client.get(EXPORT).json())
    payment = Payment.objects.get(order_id=ada.order_id)
    user = User.objects.get(pk=ada.id)
    secrets = [
        user.password,  # the password hash
        ada.client._credentials["HTTP_AUTHORIZATION"].split()[1],  # the API token
        "secret-endpoint",  # the push endpoint and its keys
        "B" * 65,
        "a" * 22,
        payment.payment_method,
        payment.provider_customer_id or "no-provider-customer",
    ]
    secrets += [value for value in (payment.card_fingerprint, payment.card_last4) if value]
    for secret in secrets:
        assert secret not in text, secret
    for key in ("card_last4", "card_fingerprint", "card_brand", "payment_method", "password", "token", "key_hash"):
        assert f'"{key}"' not in text, key
    assert payment.card_last4  # the dummy provider does store card details: they were left out

    assert bob.email not in text and "Bob" not in text and "12 Bob Street" not in text
    bob_orders = {o["id"] for o in bob.client.get(EXPORT).json()["contexts"]["orders"]["orders"]}
    assert ada.order_id not in bob_orders


def test_the_export_needs_a_logged_in_customer():
    response = APIClient().get(EXPORT)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_every_registered_exporter_answers_for_a_customer_with_nothing(db):
    """A context with no data about the customer gives its part empty, never an error."""
    parts = privacy.export_customer(987654, "nobody@example.com")
    assert set(parts) >= {"orders", "payments", "shipping", "subscriptions", "notifications", "reviews", "billing"}
    assert parts["orders"] == {"orders": [], "carts": [], "voucher_uses": []}
    assert parts["reviews"] == {"reviews": []}
    assert parts["billing"] == {"invoices": [], "credit_notes": []}
