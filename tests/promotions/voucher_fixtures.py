"""Fixtures of the voucher tests (imported by each test_vouchers* module): the shop of the
orders tests, with the orders and promotions subscribers wired (the other contexts are
played by the tests), and `define(...)`, a voucher saved through promotions' service."""

from decimal import Decimal

import pytest
from django.db import transaction

from flowmart.events import registry
from flowmart.promotions.models import Voucher
from flowmart.promotions.services import vouchers as voucher_service
from tests.orders.conftest import (  # noqa: F401 - fixtures used by the test modules
    ADDRESS,
    US_ADDRESS,
    catalog_sku,
    checkout_body,
    emit,
    fill_cart,
    rates,
    shop,
    stock,
)

WIRED = ("orders", "promotions")


@pytest.fixture(autouse=True)
def orders_and_promotions_subscribers(monkeypatch):
    wired = {name: [s for s in subs if s.context in WIRED] for name, subs in registry._BY_EVENT.items()}
    monkeypatch.setattr(registry, "_BY_EVENT", wired)


@pytest.fixture
def define(django_capture_on_commit_callbacks):
    """define(code="SAVE10", kind="percentage", percent="10", ...) → the Voucher, its
    VoucherDefined delivered to orders."""

    def _define(code="SAVE10", kind="percentage", **fields):
        for name in ("percent", "amount", "min_spend"):
            if fields.get(name) is not None:
                fields[name] = Decimal(str(fields[name]))
        if kind == "percentage":
            fields.setdefault("percent", Decimal(10))
        if kind == "fixed":
            fields.setdefault("amount", Decimal(5))
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return voucher_service.save_voucher(Voucher(code=code, kind=kind, **fields))

    return _define


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """with delivered(): ... → the events published inside are delivered when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def apply_code(client, cart_id, code):
    return client.post(f"/api/v1/carts/{cart_id}/voucher/", {"code": code}, format="json")


def checkout(client, cart_id, key, email=None, **body):
    data = checkout_body(cart_id, **body) | ({"email": email} if email else {})
    return client.post("/api/v1/checkout/", data, format="json", HTTP_IDEMPOTENCY_KEY=key)


def amounts(totals: dict) -> dict:
    return {name: value["amount"] for name, value in totals.items()}
