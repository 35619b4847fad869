"""Carts: one open cart per customer, items by SKU, prices from orders' own projection."""

from decimal import Decimal

import pytest

from flowmart.common.money import Money
from flowmart.contracts.catalog import ProductRetired, VariantPriceChanged

pytestmark = pytest.mark.django_db


def test_first_post_creates_the_cart_and_the_second_returns_it(customer):
    first = customer.post("/api/v1/carts/")
    assert first.status_code == 201
    assert first.json()["items"] == []
    assert first.json()["totals"]["total"] == {"amount": "0.00", "currency": "USD"}
    second = customer.post("/api/v1/carts/")
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]


def test_adding_items_prices_them_from_the_projection_and_merges_lines(customer, shop):
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    added = customer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG-1", "quantity": 2})
    assert added.status_code == 201
    assert added.json() == {
        "id": added.json()["id"],
        "sku": "MUG-1",
        "name": "Product MUG-1 — default",
        "quantity": 2,
        "unit_price": {"amount": "12.50", "currency": "USD"},
        "original_unit_price": None,  # no sale (docs/promotions.md)
        "sale": None,
        "line_total": {"amount": "25.00", "currency": "USD"},
        "available": 50,
        "warning": None,
    }
    again = customer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG-1", "quantity": 3})
    assert again.status_code == 201
    assert again.json()["id"] == added.json()["id"] and again.json()["quantity"] == 5
    cart = customer.get(f"/api/v1/carts/{cart_id}/").json()
    assert len(cart["items"]) == 1
    assert cart["totals"] == {
        "subtotal": {"amount": "62.50", "currency": "USD"},
        "shipping": {"amount": "0.00", "currency": "USD"},
        "discount": {"amount": "0.00", "currency": "USD"},
        "tax": {"amount": "0.00", "currency": "USD"},
        "total": {"amount": "62.50", "currency": "USD"},
    }


@pytest.mark.parametrize(
    "body",
    [
        {"sku": "NOPE", "quantity": 1},
        {"sku": "MUG-1", "quantity": 0},
        {"sku": "MUG-1", "quantity": 101},
        {"sku": "MUG-1"},
        {"quantity": 1},
    ],
)
def test_bad_items_are_refused(customer, shop, body):
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    response = customer.post(f"/api/v1/carts/{cart_id}/items/", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert customer.get(f"/api/v1/carts/{cart_id}/").json()["items"] == []


def test_a_line_cannot_grow_past_100(customer, shop, stock):
    stock(**{"MUG-1": 500})
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    customer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG-1", "quantity": 60})
    response = customer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG-1", "quantity": 41})
    assert response.status_code == 400
    assert "quantity" in response.json()["error"]["fields"]
    assert customer.get(f"/api/v1/carts/{cart_id}/").json()["items"][0]["quantity"] == 60


def test_retired_sku_is_refused(customer, catalog_sku, emit):
    catalog_sku("OLD-1", product_id=555)
    emit(ProductRetired(product_id=555, skus=("OLD-1",)))
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    response = customer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "OLD-1", "quantity": 1})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["sku"]


def test_a_cart_holds_one_currency(customer, catalog_sku, stock):
    catalog_sku("USD-1", "10.00", "USD")
    catalog_sku("EUR-1", "10.00", "EUR")
    stock(**{"USD-1": 5, "EUR-1": 5})
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    assert customer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "USD-1", "quantity": 1}).status_code == 201
    response = customer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "EUR-1", "quantity": 1})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_price_changes_show_on_the_next_read(customer, shop, emit):
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    customer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "TEE-1", "quantity": 2})
    emit(
        VariantPriceChanged(
            product_id=1,
            sku="TEE-1",
            old_price=Money(Decimal("20.00"), "USD"),
            new_price=Money(Decimal("18.25"), "USD"),
        )
    )
    item = customer.get(f"/api/v1/carts/{cart_id}/").json()["items"][0]
    assert item["unit_price"]["amount"] == "18.25"
    assert item["line_total"]["amount"] == "36.50"


def test_change_and_remove_items(customer, shop):
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    item_id = customer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG-1", "quantity": 1}).json()["id"]
    changed = customer.patch(f"/api/v1/carts/{cart_id}/items/{item_id}/", {"quantity": 4})
    assert changed.status_code == 200 and changed.json()["quantity"] == 4
    assert customer.patch(f"/api/v1/carts/{cart_id}/items/{item_id}/", {"quantity": 0}).status_code == 400
    assert customer.patch(f"/api/v1/carts/{cart_id}/items/{item_id}/", {"quantity": 101}).status_code == 400
    assert customer.delete(f"/api/v1/carts/{cart_id}/items/{item_id}/").status_code == 204
    assert customer.get(f"/api/v1/carts/{cart_id}/").json()["items"] == []
    assert customer.delete(f"/api/v1/carts/{cart_id}/items/{item_id}/").status_code == 404


def test_destination_adds_shipping_and_tax(customer, shop):
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    customer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "TEE-1", "quantity": 1})  # 20.00, 200 g
    response = customer.patch(f"/api/v1/carts/{cart_id}/", {"shipping_country": "de", "shipping_method": "standard"})
    assert response.status_code == 200
    totals = response.json()["totals"]
    assert totals["shipping"]["amount"] == "12.00"  # rest-of-world band
    assert totals["tax"]["amount"] == "3.80"  # 19 % of the goods
    assert totals["total"]["amount"] == "35.80"
    bad = customer.patch(f"/api/v1/carts/{cart_id}/", {"shipping_country": "XX"})
    assert bad.status_code == 400
    unavailable = customer.patch(f"/api/v1/carts/{cart_id}/", {"shipping_country": "FR", "shipping_method": "express"})
    assert unavailable.status_code == 400


def test_tax_is_rounded_per_currency(customer, catalog_sku, rates, stock):
    catalog_sku("YEN-1", "1001", "JPY")
    stock(**{"YEN-1": 5})
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    customer.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "YEN-1", "quantity": 1})
    customer.patch(f"/api/v1/carts/{cart_id}/", {"shipping_country": "DE"})
    totals = customer.get(f"/api/v1/carts/{cart_id}/").json()["totals"]
    assert totals["tax"] == {"amount": "190", "currency": "JPY"}  # 190.19 rounded to whole yen


def test_another_customers_cart_is_not_found(make_customer, shop):
    owner, other = make_customer(), make_customer()
    cart_id = owner.post("/api/v1/carts/").json()["id"]
    item_id = owner.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG-1", "quantity": 1}).json()["id"]
    for response in (
        other.get(f"/api/v1/carts/{cart_id}/"),
        other.patch(f"/api/v1/carts/{cart_id}/", {"shipping_country": "US"}),
        other.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG-1", "quantity": 1}),
        other.patch(f"/api/v1/carts/{cart_id}/items/{item_id}/", {"quantity": 3}),
        other.delete(f"/api/v1/carts/{cart_id}/items/{item_id}/"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert owner.get(f"/api/v1/carts/{cart_id}/").json()["items"][0]["quantity"] == 1


def test_carts_need_authentication_or_their_guest_token(api_client):
    guest = api_client.post("/api/v1/carts/")  # no login: a guest cart and its token
    assert guest.status_code == 201 and guest.json()["token"]
    assert api_client.get(f"/api/v1/carts/{guest.json()['id']}/").status_code == 401
