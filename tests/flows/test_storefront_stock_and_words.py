"""What a new shopper met on issue 12, through the API end to end (embedded path): stock on
cart lines, checkout re-checking it, an already used cart, shipments a customer can follow,
and words that agree (returns, amendments, empty amendments)."""

import uuid

import pytest

from flowmart.orders.models import SkuAvailability

from .conftest import ADDRESS_US, carrier_update, checkout, order, register, stock

pytestmark = pytest.mark.django_db(transaction=True)


def checkout_cart(client, cart_id, key=None):
    body = {
        "cart_id": cart_id,
        "shipping_address": ADDRESS_US,
        "shipping_method": "standard",
        "payment": {"provider": "dummy", "payment_method": "pm_card_visa"},
    }
    return client.post("/api/v1/checkout/", body, HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex)


def test_a_cart_refuses_more_than_can_be_sold_with_the_quantity_available(shop):
    buyer = register()
    cart = buyer.post("/api/v1/carts/").json()
    too_many = buyer.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 11})
    assert too_many.status_code == 409
    error = too_many.json()["error"]
    assert (error["code"], error["sku"], error["available"]) == ("insufficient_stock", "FLOW-RED", 10)
    assert buyer.get(f"/api/v1/carts/{cart['id']}/").json()["items"] == []  # nothing half-written

    added = buyer.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 8})
    assert added.status_code == 201
    assert (added.json()["available"], added.json()["warning"]) == (10, None)
    grow = buyer.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 3})  # 8 + 3 > 10
    assert grow.status_code == 409 and grow.json()["error"]["available"] == 10
    patch = buyer.patch(f"/api/v1/carts/{cart['id']}/items/{added.json()['id']}/", {"quantity": 12})
    assert patch.status_code == 409 and patch.json()["error"]["code"] == "insufficient_stock"


def test_a_line_that_became_short_warns_and_checkout_rechecks(shop):
    buyer, rival = register(), register()
    cart = buyer.post("/api/v1/carts/").json()
    assert buyer.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 6}).status_code == 201
    assert checkout(rival, {"FLOW-RED": 7})["status"] == "paid"  # 3 left to sell

    [line] = buyer.get(f"/api/v1/carts/{cart['id']}/").json()["items"]
    assert (line["quantity"], line["available"]) == (6, 3)
    assert line["warning"] == "Only 3 can be sold right now."
    refused = checkout_cart(buyer, cart["id"])
    assert refused.status_code == 409, refused.content
    error = refused.json()["error"]
    assert (error["code"], error["available"]) == ("insufficient_stock", 3)
    assert error["shortages"] == [{"sku": "FLOW-RED", "quantity": 6, "available": 3}]
    # Lowering the line is always allowed; then the checkout goes through.
    assert buyer.patch(f"/api/v1/carts/{cart['id']}/items/{line['id']}/", {"quantity": 3}).status_code == 200
    assert checkout_cart(buyer, cart["id"]).json()["status"] == "paid"


def test_stock_that_cannot_be_reserved_still_cancels_out_of_stock(shop):
    """A projection behind inventory (a sale a moment ago) lets the cart through: the saga's
    reservation is the last word and the order ends cancelled out_of_stock, never charged."""
    buyer = register()
    SkuAvailability.objects.filter(sku="FLOW-RED").update(available=100)  # stale: inventory knows better
    placed = checkout(buyer, {"FLOW-RED": 11})
    assert placed["status"] == "cancelled"
    assert order(buyer, placed["order_id"])["cancellation_reason"] == "out_of_stock"
    assert stock("FLOW-RED") == {"US-EAST": (10, 0)}


def test_checking_out_a_used_cart_says_so(shop):
    buyer = register()
    cart = buyer.post("/api/v1/carts/").json()
    buyer.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": "FLOW-RED", "quantity": 1})
    first = checkout_cart(buyer, cart["id"]).json()
    again = checkout_cart(buyer, cart["id"])  # a new key: not a replay
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "cart_checked_out" and error["order_id"] == first["order_id"]
    assert "already checked out" in error["message"]
    fresh = buyer.post("/api/v1/carts/")
    assert fresh.status_code == 201 and fresh.json()["id"] != cart["id"]  # the next cart is a new one
    empty = checkout_cart(buyer, fresh.json()["id"])
    assert empty.status_code == 400 and empty.json()["error"]["fields"]["cart_id"] == ["The cart is empty."]


def test_customers_follow_their_shipments_and_strangers_do_not(shop, staff):
    buyer, stranger = register(), register()
    placed = checkout(buyer, {"FLOW-RED": 1})
    [shipment] = order(buyer, placed["order_id"])["shipments"]
    assert shipment["tracking_url"].endswith(shipment["tracking_number"])
    assert staff.post(f"/api/v1/shipping/shipments/{shipment['id']}/dispatch/").status_code == 200
    assert carrier_update(shipment, "in_transit", location="Newark hub").status_code == 200
    assert carrier_update(shipment, "delivered", location="Newark").status_code == 200

    mine = buyer.get(f"/api/v1/shipping/shipments/{shipment['id']}/")
    assert mine.status_code == 200, mine.content
    body = mine.json()
    assert body["tracking_url"] == shipment["tracking_url"] and body["label_url"] is None
    events = [(e["status"], e["place"], e["at"]) for e in body["tracking_events"]]
    assert [(s, p) for s, p, _ in events][1:] == [("in_transit", "Newark hub"), ("delivered", "Newark")]
    assert events[0][0] == "dispatched"  # staff handed it over
    assert events[1][2].startswith("2030-01-01T00:00:00")  # the carrier's time, not ours

    on_order = order(buyer, placed["order_id"])["shipments"][0]
    steps = [(e["status"], e["place"]) for e in on_order["tracking_events"]]
    assert steps == [("dispatched", "US-EAST"), ("in_transit", "Newark hub"), ("delivered", "Newark")]
    assert on_order["tracking_url"] == shipment["tracking_url"]

    other = stranger.get(f"/api/v1/shipping/shipments/{shipment['id']}/")
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    assert staff.get(f"/api/v1/shipping/shipments/{shipment['id']}/").json()["label_url"]


def test_a_return_says_the_same_word_in_the_answer_and_on_the_order(shop, staff):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1})
    [shipment] = order(buyer, placed["order_id"])["shipments"]
    staff.post(f"/api/v1/shipping/shipments/{shipment['id']}/dispatch/")
    carrier_update(shipment, "delivered")
    asked = buyer.post(
        f"/api/v1/orders/{placed['order_id']}/returns/", {"lines": [{"sku": "FLOW-RED", "quantity": 1}], "reason": "no"}
    )
    assert asked.status_code == 201, asked.content
    [on_order] = order(buyer, placed["order_id"])["returns"]
    assert asked.json()["status"] == on_order["status"] == "initiated"  # eager: the label is issued already
    assert (
        asked.json()["return_id"] == on_order["id"] and asked.json()["tracking_number"] == on_order["tracking_number"]
    )


def test_an_amendment_that_charged_more_leaves_the_order_paid(shop):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 3})
    amend = f"/api/v1/orders/{placed['order_id']}/amend/"
    assert buyer.post(amend, {"lines": [{"sku": "FLOW-RED", "quantity": 1}]}).status_code == 200  # refund
    assert order(buyer, placed["order_id"])["payment_status"] == "paid"  # paid exactly the new total
    assert buyer.post(amend, {"lines": [{"sku": "FLOW-RED", "quantity": 4}]}).status_code == 200  # charge more
    amended = order(buyer, placed["order_id"])
    assert (amended["status"], amended["payment_status"]) == ("paid", "paid")


def test_amending_with_no_lines_names_the_field(shop):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1})
    for body in ({"lines": []}, {}):
        response = buyer.post(f"/api/v1/orders/{placed['order_id']}/amend/", body, format="json")
        assert response.status_code == 400
        fields = response.json()["error"]["fields"]
        assert list(fields) == ["lines"] and "non_field_errors" not in str(fields)
