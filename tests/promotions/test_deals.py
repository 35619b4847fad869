"""Lightning deals through the public API: the deal price and live claimed % on the product,
claims at checkout, 409 deal_sold_out when too few units are left, and units given back once
when an order is cancelled or its reservation expires."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from flowmart.inventory import services as inventory
from flowmart.orders.models import DealClaim, DealStock, Order
from flowmart.payments.models import Payment
from flowmart.promotions.models import LightningDeal
from flowmart.promotions.services import deals
from flowmart.promotions.tasks import run_schedule

from .conftest import checkout, fill_cart, listed, make_deal, make_sale, product, register


def money(amount):
    return {"amount": amount, "currency": "USD"}


def variant(product_id, sku):
    return next(v for v in product(product_id)["variants"] if v["sku"] == sku)


def test_a_live_deal_prices_the_sku_and_its_claimed_percent_follows_checkouts(shop):
    make_sale(name="Mug week", percent="25", products=[shop.mug])  # the deal beats the sale
    deal = make_deal("MUG-RED", price="9.99", units=4)
    red = variant(shop.mug.pk, "MUG-RED")
    assert (red["price"], red["original_price"], red["sale"]) == (money("9.99"), money("20.00"), None)
    assert red["deal"]["claimed_percent"] == 0 and red["deal"]["units"] == 4
    assert listed(shop.mug.pk)["deal"]["id"] == deal.pk

    buyer = register()
    cart_id = fill_cart(buyer, {"MUG-RED": 3})
    line = buyer.get(f"/api/v1/carts/{cart_id}/").json()["items"][0]
    assert (line["unit_price"], line["sale"]["kind"], line["sale"]["claimed_percent"]) == (money("9.99"), "deal", 0)
    response = checkout(buyer, cart_id)
    assert response.status_code == 201, response.json()
    order = buyer.get(f"/api/v1/orders/{response.json()['order_id']}/").json()
    assert order["status"] == "paid"
    assert (order["lines"][0]["unit_price"], order["lines"][0]["original_unit_price"]) == (
        money("9.99"),
        money("20.00"),
    )
    assert order["lines"][0]["sale"] == {
        "kind": "deal",
        "id": deal.pk,
        "name": "Lightning deal",
        "ends_at": line["sale"]["ends_at"],
    }

    assert variant(shop.mug.pk, "MUG-RED")["deal"]["claimed_percent"] == 75
    assert listed(shop.mug.pk)["deal"]["claimed_percent"] == 75
    assert LightningDeal.objects.get(pk=deal.pk).claimed == 3  # the back office follows too


def test_too_few_units_left_answers_409_and_writes_nothing(shop):
    make_deal("MUG-RED", price="9.99", units=2)
    buyer = register()
    cart_id = fill_cart(buyer, {"MUG-RED": 3})
    response = checkout(buyer, cart_id)
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["sku"], error["available"]) == ("deal_sold_out", "MUG-RED", 2)
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert DealStock.objects.get().claimed == 0
    buyer.patch(
        f"/api/v1/carts/{cart_id}/items/{buyer.get(f'/api/v1/carts/{cart_id}/').json()['items'][0]['id']}/",
        {"quantity": 2},
    )
    assert checkout(buyer, cart_id).status_code == 201  # the same cart, within what is left


def test_a_deal_outside_its_window_changes_nothing(shop):
    make_deal("LAMP-1", price="5.00", units=3, start_minutes=30, end_minutes=60)
    lamp = variant(shop.lamp.pk, "LAMP-1")
    assert (lamp["price"], lamp["deal"]) == (money("50.00"), None)
    buyer = register()
    response = checkout(buyer, fill_cart(buyer, {"LAMP-1": 5}))
    assert response.status_code == 201
    assert Order.objects.get().lines.get().unit_price == 50 and not DealClaim.objects.exists()


def test_units_come_back_once_when_the_order_is_cancelled(shop):
    deal = make_deal("MUG-RED", price="9.99", units=2)
    buyer = register()
    order_id = checkout(buyer, fill_cart(buyer, {"MUG-RED": 2})).json()["order_id"]
    assert variant(shop.mug.pk, "MUG-RED")["deal"]["sold_out"] is True
    loser = register()
    assert checkout(loser, fill_cart(loser, {"MUG-RED": 1})).json()["error"]["code"] == "deal_sold_out"

    assert buyer.post(f"/api/v1/orders/{order_id}/cancel/").status_code == 200
    assert DealStock.objects.get().claimed == 0
    assert DealClaim.objects.get().released_at is not None
    assert variant(shop.mug.pk, "MUG-RED")["deal"]["claimed_percent"] == 0
    assert LightningDeal.objects.get(pk=deal.pk).claimed == 0

    from flowmart.orders.promotions import release_deals

    assert release_deals(order_id, "customer_request") == 0  # a redelivered cancellation gives nothing more
    assert checkout(loser, fill_cart(loser, {"MUG-RED": 1})).status_code == 201


def test_units_come_back_when_an_unpaid_order_expires(shop):
    make_deal("MUG-RED", price="9.99", units=1)
    buyer = register()
    response = checkout(buyer, fill_cart(buyer, {"MUG-RED": 1}), payment_method="pm_card_authenticationRequired")
    order_id = response.json()["order_id"]
    assert buyer.get(f"/api/v1/orders/{order_id}/").json()["status"] == "awaiting_payment"
    assert DealStock.objects.get().claimed == 1

    later = timezone.now() + settings.RESERVATION_TTL + timedelta(minutes=1)
    assert inventory.expire_reservations(now=later) == 1
    body = buyer.get(f"/api/v1/orders/{order_id}/").json()
    assert (body["status"], body["cancellation_reason"]) == ("cancelled", "expired")
    assert DealStock.objects.get().claimed == 0
    assert variant(shop.mug.pk, "MUG-RED")["deal"]["claimed_percent"] == 0


def test_the_beat_moves_deals_through_their_schedule(shop):
    soon = make_deal("MUG-RED", units=1, start_minutes=10, end_minutes=20)
    live = make_deal("MUG-BLUE", units=1)
    over = make_deal("LAMP-1", units=1, start_minutes=-20, end_minutes=-10)
    assert run_schedule() == {"sales_closed": 0, "deals_moved": 2}  # the beat job itself
    assert deals.advance_schedule() == 0  # fired twice: nothing more
    statuses = dict(LightningDeal.objects.values_list("pk", "status"))
    assert statuses == {soon.pk: "scheduled", live.pk: "live", over.pk: "ended"}


def test_the_deals_list_shows_live_deals_with_their_claimed_percent(shop):
    from rest_framework.test import APIClient

    live = make_deal("MUG-RED", price="9.99", units=4)
    make_deal("LAMP-1", price="5.00", units=3, start_minutes=30, end_minutes=60)
    buyer = register()
    checkout(buyer, fill_cart(buyer, {"MUG-RED": 1}))
    body = APIClient().get("/api/v1/deals/").json()
    assert [(d["id"], d["sku"], d["claimed_percent"], d["status"]) for d in body] == [(live.pk, "MUG-RED", 25, "live")]
    assert body[0]["price"] == money("9.99") and body[0]["original_price"] == money("20.00")
    assert len(APIClient().get("/api/v1/deals/?upcoming=true").json()) == 2
