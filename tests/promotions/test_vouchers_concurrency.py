"""A single-use code and 20 checkouts at once, each on its own PostgreSQL connection:
exactly one order gets the discount; the others are refused (409 voucher_exhausted) with
nothing written and nothing charged."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from flowmart.events.models import OutboxEvent
from flowmart.orders.models import Cart, Order, RedeemableVoucher, VoucherRedemption

from .voucher_fixtures import *  # noqa: F403 - the fixtures
from .voucher_fixtures import apply_code, checkout_body

SHOPPERS = 20


@pytest.mark.django_db(transaction=True)
def test_a_single_use_code_used_by_20_concurrent_checkouts_discounts_exactly_one(
    make_customer, shop, fill_cart, define
):
    define("ONLYONE", kind="fixed", amount="5", max_uses=1)
    shoppers = []
    for _ in range(SHOPPERS):
        shopper = make_customer()
        cart_id = fill_cart(shopper, {"MUG-1": 1, "TEE-1": 1})
        assert apply_code(shopper, cart_id, "onlyone").status_code == 200
        shoppers.append((shopper.token, cart_id))
    barrier, results = threading.Barrier(SHOPPERS), []

    def attempt(token, cart_id):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait()
            response = client.post(
                "/api/v1/checkout/", checkout_body(cart_id), format="json", HTTP_IDEMPOTENCY_KEY=f"k-{cart_id}"
            )
            results.append((cart_id, response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=shopper) for shopper in shoppers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    won = [r for r in results if r[1] == 201]
    lost = [r for r in results if r[1] != 201]
    assert len(won) == 1 and len(lost) == SHOPPERS - 1
    assert {(status, body["error"]["code"]) for _, status, body in lost} == {(409, "voucher_exhausted")}
    order = Order.objects.get()
    assert order.pk == won[0][2]["order_id"] and order.discount == 5
    assert RedeemableVoucher.objects.get(code="ONLYONE").uses == 1
    assert VoucherRedemption.objects.get().order_id == order.pk
    # Nothing charged for the refused ones: one payment was ever asked for.
    assert OutboxEvent.objects.filter(name="PaymentInitiated").count() == 1
    assert OutboxEvent.objects.filter(name="VoucherRedeemed").count() == 1
    losers = [cart_id for cart_id, _, _ in lost]
    assert Cart.objects.filter(pk__in=losers, status="open").count() == SHOPPERS - 1
