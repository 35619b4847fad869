"""Orders' copy of the vouchers: a newer definition wins, a late older one is ignored, a limit
lowered below the uses held is stored (and stops further uses), and a seller's voucher
discounts only that seller's goods."""

from datetime import timedelta

import pytest
from django.db import transaction

from flowmart.orders.models import RedeemableVoucher
from flowmart.orders.services import vouchers as order_vouchers
from flowmart.promotions.services.vouchers import definition

from .voucher_fixtures import *  # noqa: F403 - the fixtures
from .voucher_fixtures import apply_code

pytestmark = pytest.mark.django_db


def test_a_late_older_definition_is_ignored(define):
    voucher = define("LATE", percent=10)
    newer = definition(voucher)
    older = definition(voucher)
    object.__setattr__(older, "occurred_at", newer.occurred_at - timedelta(minutes=5))
    object.__setattr__(older, "percent", 90)
    with transaction.atomic():
        order_vouchers.keep_definition(older)
    assert RedeemableVoucher.objects.get(pk=voucher.pk).percent == 10


def test_a_limit_lowered_below_the_uses_held_is_stored_and_stops_further_uses(customer, shop, fill_cart, define):
    voucher = define("LOWER", max_uses=5)
    RedeemableVoucher.objects.filter(pk=voucher.pk).update(uses=3)
    voucher.max_uses = 1
    define_again = definition(voucher)
    with transaction.atomic():
        order_vouchers.keep_definition(define_again)
    assert RedeemableVoucher.objects.get(pk=voucher.pk).max_uses == 1
    assert apply_code(customer, fill_cart(customer, {"MUG-1": 1}), "LOWER").status_code == 422


def test_a_sellers_voucher_discounts_only_that_sellers_goods(customer, shop, fill_cart, define):
    define("SELLER2ONLY", kind="fixed", amount="100", owner_seller_id=2)
    cart_id = fill_cart(customer, {"MUG-1": 1, "TEE-1": 2, "LAMP-1": 1})
    cart = apply_code(customer, cart_id, "SELLER2ONLY").json()
    assert {i["sku"]: i["discount"]["amount"] for i in cart["items"]} == {
        "MUG-1": "0.00",
        "TEE-1": "40.00",
        "LAMP-1": "0.00",
    }
    assert cart["totals"]["discount"]["amount"] == "40.00"
