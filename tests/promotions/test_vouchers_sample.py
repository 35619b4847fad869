"""Money to the cent through the API: random carts with mixed vouchers, destinations
(shipping and tax) and quantities; the cart's totals are the order's, and each order adds
up (line totals + shipping + tax − discounts = total; line discounts sum to the discount)."""

import random
from decimal import Decimal

import pytest

from flowmart.orders.models import Order

from .voucher_fixtures import *  # noqa: F403 - the fixtures
from .voucher_fixtures import ADDRESS, US_ADDRESS, amounts, apply_code, checkout

pytestmark = pytest.mark.django_db

GB_ADDRESS = {**ADDRESS, "city": "London", "postal_code": "N1 9GU", "country": "GB"}
CARTS = 25


def test_random_carts_through_the_api_add_up_to_the_cent(make_customer, shop, fill_cart, define):
    define("PCT15", percent="15")
    define("PCT33", percent="33.33", seller_ids=[1, 3])
    define("FIX7", kind="fixed", amount="7.77", min_spend="20")
    define("SHIP", kind="free_shipping")
    define("SOLO", percent="40", exclusive=True)
    define("SELLER2", kind="fixed", amount="100", owner_seller_id=2)
    rng = random.Random(1312)
    for n in range(CARTS):
        shopper = make_customer()
        items = {sku: rng.randint(1, 4) for sku in rng.sample(["MUG-1", "TEE-1", "LAMP-1"], rng.randint(1, 3))}
        cart_id = fill_cart(shopper, items)
        address = rng.choice([ADDRESS, US_ADDRESS, GB_ADDRESS])
        patched = shopper.patch(
            f"/api/v1/carts/{cart_id}/", {"shipping_country": address["country"], "shipping_method": "standard"}
        )
        assert patched.status_code == 200
        for code in rng.sample(["PCT15", "PCT33", "FIX7", "SHIP", "SOLO", "SELLER2"], rng.randint(0, 3)):
            assert apply_code(shopper, cart_id, code).status_code in (200, 409)
        cart = shopper.get(f"/api/v1/carts/{cart_id}/").json()
        response = checkout(shopper, cart_id, f"k{n}", address=address)
        assert response.status_code == 201, response.json()
        order = Order.objects.get(pk=response.json()["order_id"])
        assert amounts(cart["totals"]) == {k: str(v.amount) for k, v in order.totals.items()}
        lines = list(order.lines.all())
        line_totals = sum(line.unit_price * line.quantity for line in lines)
        assert line_totals + order.shipping + order.tax - order.discount == order.total >= 0
        assert sum(line.discount for line in lines) == order.discount
        assert sum(line.tax for line in lines) == order.tax
        assert all(0 <= line.discount <= line.unit_price * line.quantity for line in lines)
        for value in (order.total, order.discount, order.tax, *(line.discount for line in lines)):
            assert value == value.quantize(Decimal("0.01"))  # USD: whole cents
