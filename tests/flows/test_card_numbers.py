"""Card numbers never get in. Customers try to send them through every door a client has
(checkout, order changes, profile, addresses, registration, carts, a subscription, query
strings, paths, request ids); each is a 400 that does not echo the number. Afterwards the
whole test database (pg_dump) and every captured log line hold no trace of any of them."""

import logging
import subprocess
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from .conftest import ADDRESS_US, checkout, register

pytestmark = pytest.mark.django_db(transaction=True)

# (number as sent, its digits): Stripe's test cards of several brands and lengths.
CARDS = {
    "visa": "4242424242424242",
    "visa_spaced": "4242 4242 4242 4242",
    "visa_debit_dashed": "4000-0566-5566-5556",
    "mastercard": "5555555555554444",
    "amex": "378282246310005",
    "discover": "6011 1111 1111 1117",
    "diners": "3056930009020004",
    "unionpay": "6200000000000005",
    "visa_19": "4000000000000000006",
}


def digits(card: str) -> str:
    return card.replace(" ", "").replace("-", "")


def attempts(buyer: APIClient, order_id: int, cart_id: int):
    """(label, response) for every way in."""
    c = CARDS
    checkout_body = {
        "cart_id": cart_id,
        "shipping_address": ADDRESS_US,
        "shipping_method": "standard",
        "payment": {"provider": "dummy", "payment_method": "pm_card_visa"},
    }

    def body_with(path: str, value: str) -> dict:
        body = {**checkout_body, "shipping_address": dict(ADDRESS_US), "payment": dict(checkout_body["payment"])}
        section, field = path.split(".")
        body[section][field] = value
        return body

    key = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
    yield (
        "payment_method pm_",
        buyer.post("/api/v1/checkout/", body_with("payment.payment_method", "pm_" + c["visa"]), **key),
    )
    yield (
        "payment_method bare",
        buyer.post("/api/v1/checkout/", body_with("payment.payment_method", c["visa_spaced"]), **key),
    )
    yield (
        "address line2",
        buyer.post("/api/v1/checkout/", body_with("shipping_address.line2", c["visa_debit_dashed"]), **key),
    )
    yield "address phone", buyer.post("/api/v1/checkout/", body_with("shipping_address.phone", c["amex"]), **key)
    yield (
        "amend sku",
        buyer.post(f"/api/v1/orders/{order_id}/amend/", {"lines": [{"sku": c["mastercard"], "quantity": 1}]}),
    )
    yield (
        "return reason",
        buyer.post(
            f"/api/v1/orders/{order_id}/returns/",
            {"lines": [{"sku": "FLOW-RED", "quantity": 1}], "reason": c["discover"]},
        ),
    )
    yield "profile", buyer.patch("/api/v1/me/", {"first_name": c["diners"]})
    yield "address book", buyer.post("/api/v1/me/addresses/", {**ADDRESS_US, "line1": f"card {c['unionpay']}"})
    yield (
        "register",
        APIClient().post(
            "/api/v1/auth/register/",
            {"email": "cards@example.com", "password": "Buyer-pass-123", "last_name": c["visa_19"]},
        ),
    )
    yield "cart item", buyer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": c["visa"], "quantity": 1})
    yield (
        "subscription",
        buyer.post(
            "/api/v1/subscriptions/",
            {"plan_id": 1, "quantity": 1, "payment": {"provider": "dummy", "payment_method": c["mastercard"]}},
        ),
    )
    yield (
        "subscription change",
        buyer.patch(
            "/api/v1/subscriptions/1/", {"payment": {"provider": "stripe", "payment_method": "pm_" + c["amex"]}}
        ),
    )
    yield "query", buyer.get("/api/v1/products/", {"search": c["visa_spaced"]})
    yield "query filter", buyer.get("/api/v1/orders/", {"status": c["discover"]})
    yield "path", buyer.get(f"/api/v1/orders/{digits(c['visa'])}/")


def test_card_numbers_are_refused_everywhere_and_leave_no_trace(shop, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1})  # a real order, so every table has something to search
    cart_id = buyer.post("/api/v1/carts/").json()["id"]
    buyer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "FLOW-RED", "quantity": 1})

    for label, response in attempts(buyer, placed["order_id"], cart_id):
        assert response.status_code == 400, (label, response.content)
        error = response.json()["error"]
        assert error["code"] == "validation_error", label
        text = response.content.decode()
        assert not any(digits(card) in text.replace(" ", "").replace("-", "") for card in CARDS.values()), label

    # A request id is written on every log line: one holding a card number is replaced.
    response = buyer.get("/api/v1/orders/", HTTP_X_REQUEST_ID=f"req-{CARDS['visa']}")
    assert response.status_code == 200 and CARDS["visa"] not in response["X-Request-ID"]

    dump = dump_database()
    assert placed["order_id"] and buyer_email(buyer) in dump  # the dump does hold the shop's data
    logs = caplog.text + capfd.readouterr().err
    assert "refused" in logs  # the refusals were logged (without the numbers)
    for card in CARDS.values():
        for haystack, name in ((dump, "database"), (logs, "logs")):
            flat = haystack.replace(" ", "").replace("-", "")
            assert digits(card) not in flat, f"{card} found in the {name}"


def buyer_email(client: APIClient) -> str:
    return client.get("/api/v1/me/").json()["email"]


def dump_database() -> str:
    """Every row of every table of the test database, as pg_dump writes it."""
    db = connection.settings_dict
    result = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "--no-owner",
            "-h",
            db["HOST"],
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "COPY public.orders_order" in result.stdout
    return result.stdout
