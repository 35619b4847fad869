"""Orders in isolation: the other contexts are simulated by publishing the events
they would publish. Only the orders context's subscribers are wired during these
tests, so nothing another helper builds changes what they prove."""

import itertools
from decimal import Decimal

import pytest
from django.db import transaction

from flowmart.common.money import Money
from flowmart.contracts.catalog import ProductPublished, VariantSnapshot
from flowmart.contracts.shipping import ShippingMethod, ShippingRate, ShippingRatesPublished
from flowmart.events import publish, registry
from tests.support import contract_events

_ids = itertools.count(1000)

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Analytical St",
    "line2": "",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
    "phone": "+49 30 1234567",
}
US_ADDRESS = {**ADDRESS, "city": "Newark", "postal_code": "07102", "country": "US"}


@pytest.fixture(autouse=True)
def _only_orders_subscribers(monkeypatch):
    """Deliver events to the orders context only (other contexts are played by the tests)."""
    wired = {name: [s for s in subs if s.context == "orders"] for name, subs in registry._BY_EVENT.items()}
    monkeypatch.setattr(registry, "_BY_EVENT", wired)


@pytest.fixture
def emit(django_capture_on_commit_callbacks):
    """emit(*events): publish in a transaction and run the subscribers as after a commit."""

    def _emit(*events):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            publish(*events)

    return _emit


@pytest.fixture
def catalog_sku(emit):
    """catalog_sku("SKU-1", "19.99", ...) → the variant as ProductPublished would make it sellable."""

    def _sku(
        sku,
        price="10.00",
        currency="USD",
        weight=500,
        seller_id=7,
        active=True,
        name=None,
        product_id=None,
        tax_class="standard",
    ):
        emit(
            ProductPublished(
                product_id=product_id or next(_ids),
                product_name=name or f"Product {sku}",
                slug=sku.lower(),
                seller_id=seller_id,
                seller_slug=f"seller-{seller_id}",
                seller_name=f"Seller {seller_id}",
                category_slug="things",
                tax_class=tax_class,
                variants=(
                    VariantSnapshot(
                        sku=sku,
                        name=name or f"Product {sku} — default",
                        price=Money(Decimal(price), currency),
                        weight_grams=weight,
                        attributes={},
                        active=active,
                    ),
                ),
            )
        )
        return sku

    return _sku


def rate_table(revision=1, standard_us="5.00", currency="USD"):
    def rate(country, grams, amount):
        return ShippingRate(country=country, max_weight_grams=grams, price=Money(Decimal(amount), currency))

    return ShippingRatesPublished(
        revision=revision,
        methods=(
            ShippingMethod(
                code="standard",
                name="Standard",
                carrier="postal",
                estimated_days=5,
                rates=(
                    rate("US", 2000, standard_us),
                    rate("US", 10000, "9.00"),
                    rate("*", 2000, "12.00"),
                    rate("*", 20000, "25.00"),
                ),
            ),
            ShippingMethod(
                code="express",
                name="Express",
                carrier="courier",
                estimated_days=2,
                rates=(rate("US", 10000, "20.00"), rate("DE", 5000, "18.00")),
            ),
        ),
    )


@pytest.fixture
def rates(emit):
    """rates(revision=1, standard_us="5.00") → publish a ShippingRatesPublished table."""

    def _rates(**kwargs):
        emit(rate_table(**kwargs))

    return _rates


@pytest.fixture
def stock(emit):
    """stock(SKU=available, ...) → InventoryAdjusted carrying those levels."""

    def _stock(**levels):
        emit(contract_events.inventory_adjusted("received", levels=levels))

    return _stock


@pytest.fixture
def shop(catalog_sku, rates, stock):
    """Three sellable SKUs (USD), the rate table, and 50 of each in stock."""
    catalog_sku("MUG-1", "12.50", weight=400, seller_id=1)
    catalog_sku("TEE-1", "20.00", weight=200, seller_id=2)
    catalog_sku("LAMP-1", "45.99", weight=1500, seller_id=3)
    rates()
    stock(**{"MUG-1": 50, "TEE-1": 50, "LAMP-1": 50})


@pytest.fixture
def fill_cart():
    """fill_cart(client, {"MUG-1": 2, ...}) → the id of the caller's open cart holding those items."""

    def _fill(client, items):
        cart_id = client.post("/api/v1/carts/").json()["id"]
        for sku, quantity in items.items():
            response = client.post(f"/api/v1/carts/{cart_id}/items/", {"sku": sku, "quantity": quantity})
            assert response.status_code == 201, response.json()
        return cart_id

    return _fill


def checkout_body(cart_id, address=None, method="standard", payment_method="pm_card_visa", provider="dummy"):
    return {
        "cart_id": cart_id,
        "shipping_address": address or ADDRESS,
        "shipping_method": method,
        "payment": {"provider": provider, "payment_method": payment_method},
    }


@pytest.fixture
def place(fill_cart):
    """place(client, {"MUG-1": 2}) → order id, through POST /checkout/."""

    def _place(client, items, key=None, **body):
        cart_id = fill_cart(client, items)
        response = client.post(
            "/api/v1/checkout/",
            checkout_body(cart_id, **body),
            format="json",
            HTTP_IDEMPOTENCY_KEY=key or f"key-{next(_ids)}",
        )
        assert response.status_code == 201, response.json()
        return response.json()["order_id"]

    return _place


# The answers of inventory and payments, as the orders tests call them (tests/support/contract_events.py).
reserved = contract_events.reserved
payment = contract_events.payment_processed


def status_of(client, order_id):
    body = client.get(f"/api/v1/orders/{order_id}/").json()
    return body["status"], body["cancellation_reason"]
