"""Reviews and recommendations fed by the real order story (no event played by the test):
checkout → paid (counted for bought together and trending) → shipped → delivered (the buyer
may now review) → the rating shows on the product card."""

from decimal import Decimal

import pytest

from flowmart.catalog import services as catalog
from flowmart.common.money import Money
from flowmart.inventory import services as inventory

from .conftest import carrier_update, checkout, order, register

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_delivered_buyer_reviews_and_the_catalogue_shows_it(shop, staff, api_client):
    catalog.create_product(
        seller=shop.seller,
        category=shop.product.category,
        name="Flow Kettle",
        slug="flow-kettle",
        variants=[
            {"sku": "FLOW-KETTLE", "name": "steel", "price": Money(Decimal("30.00"), "USD"), "weight_grams": 900}
        ],
    )
    inventory.receive_stock(sku="FLOW-KETTLE", warehouse_code="US-EAST", quantity=5, reason="flow test")
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1, "FLOW-KETTLE": 1})
    assert placed["status"] == "paid"
    url = f"/api/v1/products/{shop.product.id}/reviews/"

    assert buyer.post(url, {"rating": 5, "title": "Lovely"}, format="json").status_code == 403  # paid, not delivered
    together = api_client.get(f"/api/v1/products/{shop.product.id}/recommendations/").json()["results"]
    assert [(r["name"], r["score"]) for r in together] == [("Flow Kettle", 1)]
    assert {r["name"] for r in api_client.get("/api/v1/products/trending/").json()["results"]} == {
        "Flow Mug", "Flow Kettle",
    }  # fmt: skip

    [shipment] = order(buyer, placed["order_id"])["shipments"]
    assert staff.post(f"/api/v1/shipping/shipments/{shipment['id']}/dispatch/").status_code == 200
    assert carrier_update(shipment, "delivered").status_code == 200
    assert order(buyer, placed["order_id"])["status"] == "delivered"

    written = buyer.post(url, {"rating": 5, "title": "Lovely"}, format="json")

    assert written.status_code == 201, written.json()
    card = api_client.get(f"/api/v1/products/{shop.product.id}/").json()
    assert card["rating"] == {"average": 5.0, "count": 1}
