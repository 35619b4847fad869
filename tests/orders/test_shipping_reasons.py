"""GET /shipping/methods/ keeps API.md's list, and says why no method fits: the
`Shipping-Unavailable-Reason` header, and the whole story with `?explain=true`."""

import pytest

from flowmart.orders import pricing

pytestmark = pytest.mark.django_db


def test_a_cart_too_heavy_for_every_method_answers_an_empty_list_and_why(customer, shop, fill_cart):
    fill_cart(customer, {"LAMP-1": 7})  # 10.5 kg: the US rates stop at 10 kg
    response = customer.get("/api/v1/shipping/methods/?country=US")
    assert response.status_code == 200
    assert response.json() == []
    assert response["Shipping-Unavailable-Reason"] == "too_heavy"

    explained = customer.get("/api/v1/shipping/methods/?country=US&explain=true").json()
    assert explained["methods"] == [] and explained["reason"] == "too_heavy"
    assert explained["weight_grams"] == 10500
    assert {(m["code"], m["reason"]) for m in explained["unavailable"]} == {
        ("standard", "too_heavy"),
        ("express", "too_heavy"),
    }


def test_when_some_method_fits_there_is_no_reason_header(customer, shop, fill_cart):
    fill_cart(customer, {"MUG-1": 1})
    response = customer.get("/api/v1/shipping/methods/?country=FR")
    assert [m["code"] for m in response.json()] == ["standard"]
    assert "Shipping-Unavailable-Reason" not in response
    explained = customer.get("/api/v1/shipping/methods/?country=FR&explain=1").json()
    assert explained["reason"] is None
    assert explained["unavailable"] == [{"code": "express", "name": "Express", "reason": "no_zone"}]


def test_no_zone_and_no_methods():
    us_only = [{"code": "us", "name": "US", "carrier": "postal", "estimated_days": 3, "rates": [
        {"country": "US", "max_weight_grams": 1000, "price": {"amount": "5.00", "currency": "USD"}}]}]  # fmt: skip
    assert pricing.explain(us_only, "JP", 100)["reason"] == "no_zone"
    assert pricing.explain(us_only, "US", 100, "EUR")["reason"] == "no_rate_in_currency"
    assert pricing.explain([], "US", 100)["reason"] == "no_methods"
    assert pricing.explain(us_only, "US", 100)["reason"] is None
