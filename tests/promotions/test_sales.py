"""Catalogue sales through the public API: the product list and page, the cart and the order
show the original and the sale price inside the window, and only inside it."""

import time

from flowmart.orders.models import Order
from flowmart.promotions.models import CatalogueCategory, Sale
from flowmart.promotions.services import sales

from .conftest import checkout, fill_cart, listed, make_sale, product, register


def money(amount):
    return {"amount": amount, "currency": "USD"}


def test_a_live_percentage_sale_shows_on_list_page_cart_and_order(shop):
    make_sale(name="Mug week", percent="25", products=[shop.mug])

    card = listed(shop.mug.pk)
    assert (card["price"], card["original_price"]) == (money("15.00"), money("20.00"))
    assert card["sale"]["name"] == "Mug week" and card["deal"] is None
    variants = {v["sku"]: v for v in product(shop.mug.pk)["variants"]}
    assert (variants["MUG-BLUE"]["price"], variants["MUG-BLUE"]["original_price"]) == (money("26.25"), money("35.00"))
    lamp = product(shop.lamp.pk)["variants"][0]
    assert (lamp["price"], lamp["original_price"], lamp["sale"]) == (money("50.00"), None, None)

    buyer = register()
    cart_id = fill_cart(buyer, {"MUG-RED": 2, "LAMP-1": 1})
    cart = buyer.get(f"/api/v1/carts/{cart_id}/").json()
    lines = {line["sku"]: line for line in cart["items"]}
    assert lines["MUG-RED"]["unit_price"] == money("15.00")
    assert lines["MUG-RED"]["original_unit_price"] == money("20.00")
    assert lines["MUG-RED"]["line_total"] == money("30.00")
    assert lines["LAMP-1"]["original_unit_price"] is None and lines["LAMP-1"]["sale"] is None
    assert cart["totals"]["subtotal"] == money("80.00")

    response = checkout(buyer, cart_id)
    assert response.status_code == 201, response.json()
    order = buyer.get(f"/api/v1/orders/{response.json()['order_id']}/").json()
    mug_line = next(line for line in order["lines"] if line["sku"] == "MUG-RED")
    assert (mug_line["unit_price"], mug_line["original_unit_price"]) == (money("15.00"), money("20.00"))
    assert mug_line["sale"]["kind"] == "sale" and mug_line["sale"]["name"] == "Mug week"
    assert order["totals"]["subtotal"] == money("80.00")
    assert Order.objects.get(pk=order["id"]).subtotal == 80


def test_outside_its_window_a_sale_changes_no_price(shop):
    make_sale(name="Later", percent="50", categories=["mugs"], start_minutes=30, end_minutes=90)
    make_sale(name="Over", percent="50", categories=["mugs"], start_minutes=-90, end_minutes=-30)
    card = listed(shop.mug.pk)
    assert (card["price"], card["original_price"], card["sale"]) == (money("20.00"), None, None)
    buyer = register()
    cart_id = fill_cart(buyer, {"MUG-RED": 1})
    assert buyer.get(f"/api/v1/carts/{cart_id}/").json()["items"][0]["unit_price"] == money("20.00")
    order_id = checkout(buyer, cart_id).json()["order_id"]
    line = buyer.get(f"/api/v1/orders/{order_id}/").json()["lines"][0]
    assert (line["unit_price"], line["original_unit_price"], line["sale"]) == (money("20.00"), None, None)


def test_the_window_opens_to_the_second_even_on_a_cached_list(shop):
    make_sale(name="Soon", amount="5.00", sellers=[shop.seller_a], start_minutes=0.03, end_minutes=60)
    assert listed(shop.mug.pk)["sale"] is None  # cached now
    time.sleep(2)
    card = listed(shop.mug.pk)
    assert (card["price"], card["original_price"]) == (money("15.00"), money("20.00"))


def test_overlapping_sales_the_best_price_wins_and_never_below_zero(shop):
    make_sale(name="Ten off", percent="10", products=[shop.lamp])
    make_sale(name="Twenty off", amount="20.00", categories=["lamps"])
    lamp = product(shop.lamp.pk)["variants"][0]
    assert (lamp["price"], lamp["sale"]["name"]) == (money("30.00"), "Twenty off")
    make_sale(name="Everything off", amount="80.00", sellers=[shop.seller_b])
    lamp = product(shop.lamp.pk)["variants"][0]
    assert (lamp["price"], lamp["original_price"]) == (money("0.00"), money("50.00"))


def test_a_withdrawn_sale_and_an_ended_one_are_told_to_catalog_and_orders(shop):
    sale = make_sale(name="Mug week", percent="25", products=[shop.mug])
    covered = set(sales.covered_skus(sale).values_list("sku", flat=True))
    sale.enabled = False
    sale.save()
    sales.sale_changed(sale, covered)
    assert listed(shop.mug.pk)["sale"] is None
    ended = make_sale(name="Short", percent="25", products=[shop.mug], start_minutes=-10, end_minutes=-1)
    assert sales.close_ended_sales() == 1 and Sale.objects.get(pk=ended.pk).status == "ended"
    assert sales.close_ended_sales() == 0  # the beat firing twice changes nothing more


def test_a_product_published_later_into_a_category_on_sale_joins_it(shop):
    from flowmart.catalog import services as catalog

    from .conftest import usd

    make_sale(name="Mug week", percent="50", categories=[CatalogueCategory.objects.get(pk="mugs")])
    cup = catalog.create_product(
        seller=shop.seller_b,
        category=shop.mug.category,
        name="Cup",
        slug="cup",
        variants=[{"sku": "CUP-1", "name": "cup", "price": usd("8.00"), "weight_grams": 100}],
    )
    assert product(cup.pk)["variants"][0]["price"] == money("4.00")


def test_the_sales_list_shows_live_sales_and_coming_ones_on_request(shop):
    from rest_framework.test import APIClient

    live = make_sale(name="Mug week", percent="25", products=[shop.mug])
    make_sale(name="Lamp later", amount="5.00", products=[shop.lamp], start_minutes=30, end_minutes=90)
    body = APIClient().get("/api/v1/sales/").json()
    assert [(s["id"], s["name"], s["percent_off"], s["status"]) for s in body] == [
        (live.pk, "Mug week", "25.00", "live")
    ]
    coming = APIClient().get("/api/v1/sales/?upcoming=true").json()
    assert [s["amount_off"] for s in coming if s["name"] == "Lamp later"] == [{"amount": "5.00", "currency": "USD"}]
