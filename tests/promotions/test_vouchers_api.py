"""Vouchers through the public API: applying and removing codes, the discount on cart and
order (allocated to lines), checkout redemption, per-customer limits, release, the one
answer for every unusable code, and the rate limit."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from flowmart.contracts.orders import OrderCancelled
from flowmart.events.models import OutboxEvent
from flowmart.orders import handlers as order_handlers
from flowmart.orders.models import Cart, Order, OrderLine, RedeemableVoucher, VoucherRedemption
from flowmart.promotions.models import VoucherUse
from flowmart.promotions.services import vouchers as voucher_service

from .voucher_fixtures import *  # noqa: F403 - the fixtures
from .voucher_fixtures import amounts, apply_code, checkout

pytestmark = pytest.mark.django_db


def test_a_code_is_applied_whatever_its_case_and_spaces_and_discounts_the_order(
    customer, shop, fill_cart, define, delivered
):
    define("SAVE10", percent=10)
    cart_id = fill_cart(customer, {"MUG-1": 2, "TEE-1": 1})  # 25.00 + 20.00
    response = apply_code(customer, cart_id, "  save 1 0 ")
    assert response.status_code == 200, response.json()
    cart = response.json()
    assert cart["vouchers"] == [
        {"code": "SAVE10", "discount": {"amount": "4.50", "currency": "USD"}, "applied": True, "reason": None}
    ]
    assert amounts(cart["totals"])["discount"] == "4.50"
    assert [item["discount"]["amount"] for item in cart["items"]] == ["2.50", "2.00"]

    with delivered():
        response = checkout(customer, cart_id, "k1")
    assert response.status_code == 201, response.json()
    order = customer.get(f"/api/v1/orders/{response.json()['order_id']}/").json()
    # 45.00 − 4.50 = 40.50 goods; DE 19 % = 7.695 → 7.70; standard "*" 12.00
    assert amounts(order["totals"]) == {
        "subtotal": "45.00",
        "shipping": "12.00",
        "discount": "4.50",
        "tax": "7.70",
        "total": "60.20",
    }
    lines = OrderLine.objects.filter(order_id=order["id"]).order_by("id")
    assert [line.discount for line in lines] == [Decimal("2.50"), Decimal("2.00")]
    assert sum(line.tax for line in lines) == Decimal("7.70")
    assert RedeemableVoucher.objects.get(code="SAVE10").uses == 1
    assert VoucherUse.objects.get().order_id == order["id"]  # promotions heard VoucherRedeemed
    confirmed = OutboxEvent.objects.get(name="OrderConfirmed").payload
    assert confirmed["discount"]["amount"] == "4.50"
    assert [ln["discount"]["amount"] for ln in confirmed["lines"]] == ["2.50", "2.00"]

    assert customer.delete(f"/api/v1/carts/{cart_id}/voucher/", {"code": "save10"}, format="json").status_code == 409


def test_removing_a_code_takes_its_discount_off(customer, shop, fill_cart, define):
    define("FIVE", kind="fixed", amount="5")
    cart_id = fill_cart(customer, {"MUG-1": 1})
    assert amounts(apply_code(customer, cart_id, "five").json()["totals"])["discount"] == "5.00"
    response = customer.delete(f"/api/v1/carts/{cart_id}/voucher/", {"code": "Five"}, format="json")
    assert response.status_code == 200
    assert response.json()["vouchers"] == [] and amounts(response.json()["totals"])["discount"] == "0.00"
    define("TWO", kind="fixed", amount="2")
    apply_code(customer, cart_id, "FIVE")
    apply_code(customer, cart_id, "TWO")
    assert len(customer.delete(f"/api/v1/carts/{cart_id}/voucher/?code=two").json()["vouchers"]) == 1
    assert customer.delete(f"/api/v1/carts/{cart_id}/voucher/").json()["vouchers"] == []  # no code: all


def test_free_shipping_zeroes_the_shipping_and_a_fixed_amount_never_makes_a_negative_total(
    customer, shop, fill_cart, define
):
    define("SHIPFREE", kind="free_shipping")
    define("BIGOFF", kind="fixed", amount="500")
    cart_id = fill_cart(customer, {"MUG-1": 1})
    customer.patch(f"/api/v1/carts/{cart_id}/", {"shipping_country": "US", "shipping_method": "standard"})
    apply_code(customer, cart_id, "SHIPFREE")
    cart = apply_code(customer, cart_id, "BIGOFF").json()
    assert amounts(cart["totals"]) == {
        "subtotal": "12.50",
        "shipping": "0.00",
        "discount": "12.50",
        "tax": "0.00",
        "total": "0.00",
    }
    assert {v["code"]: v["discount"]["amount"] for v in cart["vouchers"]} == {"SHIPFREE": "5.00", "BIGOFF": "12.50"}


def test_only_eligible_lines_are_discounted_and_min_spend_is_shown_once_applied(customer, shop, fill_cart, define):
    define("TEES", percent=50, seller_ids=[2], min_spend="30")
    cart_id = fill_cart(customer, {"MUG-1": 1, "TEE-1": 1})
    cart = apply_code(customer, cart_id, "TEES").json()
    assert cart["vouchers"][0]["applied"] is False and cart["vouchers"][0]["reason"] == "min_spend_not_met"
    item = next(i for i in cart["items"] if i["sku"] == "TEE-1")
    cart = customer.patch(f"/api/v1/carts/{cart_id}/items/{item['id']}/", {"quantity": 2}, format="json")
    cart = customer.get(f"/api/v1/carts/{cart_id}/").json()
    assert cart["vouchers"][0]["applied"] is True
    assert {i["sku"]: i["discount"]["amount"] for i in cart["items"]} == {"MUG-1": "0.00", "TEE-1": "20.00"}


def test_exclusive_codes_are_never_combined(customer, shop, fill_cart, define):
    define("ALONE", percent=20, exclusive=True)
    define("STACK1", kind="fixed", amount="1")
    define("STACK2", kind="fixed", amount="2")
    cart_id = fill_cart(customer, {"LAMP-1": 1})
    assert apply_code(customer, cart_id, "STACK1").status_code == 200
    assert apply_code(customer, cart_id, "STACK2").json()["totals"]["discount"]["amount"] == "3.00"
    response = apply_code(customer, cart_id, "ALONE")
    assert response.status_code == 409 and response.json()["error"]["code"] == "voucher_not_combinable"


def test_every_unusable_code_gets_the_same_answer(make_customer, shop, fill_cart, define, delivered):
    now = timezone.now()
    define("EXPIRED", valid_until=now - timedelta(days=1), valid_from=now - timedelta(days=9))
    define("LATER", valid_from=now + timedelta(days=1))
    define("OTHERMONEY", currency="EUR")
    define("USEDUP", max_uses=1)
    define("MINEONCE", max_uses_per_customer=1)
    withdrawn = define("WITHDRAWN")
    with delivered(), transaction.atomic():
        voucher_service.withdraw_voucher(withdrawn)
    RedeemableVoucher.objects.filter(code="USEDUP").update(uses=1)
    shopper = make_customer()
    cart_id = fill_cart(shopper, {"MUG-1": 1})
    apply_code(shopper, cart_id, "MINEONCE")
    assert checkout(shopper, cart_id, "k").status_code == 201

    cart_id = fill_cart(shopper, {"MUG-1": 1})
    answers = [
        apply_code(shopper, cart_id, code)
        for code in ("NOSUCHCODE", "EXPIRED", "LATER", "OTHERMONEY", "USEDUP", "MINEONCE", "WITHDRAWN")
    ]
    assert {a.status_code for a in answers} == {422}
    assert all(a.json() == answers[0].json() for a in answers)
    assert answers[0].json()["error"]["code"] == "invalid_voucher"


def test_per_customer_limit_for_customers_and_for_guests_by_email(make_customer, shop, fill_cart, define):
    define("ONCEEACH", max_uses_per_customer=1, max_uses=10)
    first, second = make_customer(), make_customer()
    for shopper in (first, second):
        cart_id = fill_cart(shopper, {"MUG-1": 1})
        apply_code(shopper, cart_id, "ONCEEACH")
        assert checkout(shopper, cart_id, "k").status_code == 201
    assert apply_code(first, fill_cart(first, {"MUG-1": 1}), "ONCEEACH").status_code == 422

    guests = []
    for _ in range(2):
        guest = APIClient()
        cart = guest.post("/api/v1/carts/").json()
        guest.credentials(HTTP_X_CART_TOKEN=cart["token"])
        guest.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "TEE-1", "quantity": 1})
        assert apply_code(guest, cart["id"], "onceeach").status_code == 200
        guests.append((guest, cart["id"]))
    orders_before = Order.objects.count()
    assert checkout(guests[0][0], guests[0][1], "g1", email="same@example.com").status_code == 201
    refused = checkout(guests[1][0], guests[1][1], "g2", email="Same@Example.com")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "voucher_exhausted"
    # Nothing half-written: no order, no use, the cart still open with its line and code.
    assert Order.objects.count() == orders_before + 1
    assert RedeemableVoucher.objects.get(code="ONCEEACH").uses == 3
    assert Cart.objects.get(pk=guests[1][1]).status == "open"
    assert guests[1][0].get(f"/api/v1/carts/{guests[1][1]}/").json()["vouchers"][0]["code"] == "ONCEEACH"


def test_releasing_an_order_gives_its_use_back_exactly_once(
    customer, make_customer, shop, fill_cart, define, delivered
):
    define("TWICE", max_uses=2, kind="fixed", amount="3")
    orders = []
    for shopper in (customer, make_customer()):
        cart_id = fill_cart(shopper, {"MUG-1": 1})
        apply_code(shopper, cart_id, "TWICE")
        with delivered():
            orders.append(checkout(shopper, cart_id, "k").json()["order_id"])
    voucher = RedeemableVoucher.objects.get(code="TWICE")
    assert voucher.uses == 2
    with delivered():
        assert customer.post(f"/api/v1/orders/{orders[0]}/cancel/").status_code == 200
    assert customer.post(f"/api/v1/orders/{orders[0]}/cancel/").status_code == 409  # cancelled twice
    with delivered(), transaction.atomic():  # the event delivered again
        order_handlers.give_back_vouchers(OrderCancelled(order_id=orders[0], reason="customer_request"))
    voucher.refresh_from_db()
    assert voucher.uses == 1  # not 0: the redelivery gave nothing back
    assert VoucherRedemption.objects.get(order_id=orders[0]).released_at is not None
    assert OutboxEvent.objects.filter(name="VoucherReleased").count() == 1
    assert VoucherUse.objects.get(order_id=orders[0]).released is True
    assert VoucherUse.objects.get(order_id=orders[1]).released is False


def test_an_order_with_a_voucher_is_not_amended(customer, shop, fill_cart, define):
    define("AMEND", kind="fixed", amount="1")
    cart_id = fill_cart(customer, {"MUG-1": 1})
    apply_code(customer, cart_id, "AMEND")
    order_id = checkout(customer, cart_id, "k").json()["order_id"]
    response = customer.post(f"/api/v1/orders/{order_id}/amend/", {"lines": [{"sku": "MUG-1", "quantity": 2}]})
    assert response.status_code == 409 and response.json()["error"]["code"] == "voucher_order_not_amendable"


def test_code_checks_are_rate_limited_per_customer_and_per_address(make_customer, shop, fill_cart, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "voucher": "3/min",
            "voucher_address": "5/min",
        },
    }
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    first, second = make_customer(), make_customer()
    carts = {id(c): fill_cart(c, {"MUG-1": 1}) for c in (first, second)}

    def guess(client):
        return client.post(
            f"/api/v1/carts/{carts[id(client)]}/voucher/", {"code": "GUESS"}, format="json", REMOTE_ADDR=address
        ).status_code

    assert [guess(first) for _ in range(4)] == [422, 422, 422, 429]  # per customer: 3
    # Every try counts against the address, the refused one too: 4 so far, so one more.
    assert [guess(second) for _ in range(2)] == [422, 429]
    assert second.delete(f"/api/v1/carts/{carts[id(second)]}/voucher/", {"code": "X"}, format="json").status_code == 200
