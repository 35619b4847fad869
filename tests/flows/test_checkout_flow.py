"""The storefront story end to end through the HTTP API, on the embedded (eager) path:
checkout → reserve → charge → ship → deliver → return → restock + refund."""

from decimal import Decimal

import pytest

from flowmart.orders.models import SkuAvailability
from flowmart.payments.models import Payment

from .conftest import carrier_update, checkout, ledgers_balance, order, register, stock

pytestmark = pytest.mark.django_db(transaction=True)


def test_happy_path_from_cart_to_return(shop, staff):
    buyer = register()
    methods = buyer.get("/api/v1/shipping/methods/?country=US")
    assert methods.status_code == 200
    placed = checkout(buyer, {"FLOW-RED": 2})
    assert placed["status"] == "paid"  # eager: the saga has run before the response is written

    paid = order(buyer, placed["order_id"])
    assert paid["payment_status"] == "paid"
    assert paid["lines"][0]["sku"] == "FLOW-RED" and paid["lines"][0]["quantity"] == 2
    assert Decimal(paid["totals"]["subtotal"]["amount"]) == Decimal("40.00")
    assert stock("FLOW-RED") == {"US-EAST": (10, 2)}
    [shipment] = paid["shipments"]
    assert shipment["warehouse"] == "US-EAST" and shipment["status"] == "created"

    assert staff.post(f"/api/v1/shipping/shipments/{shipment['id']}/dispatch/").status_code == 200
    assert order(buyer, placed["order_id"])["status"] == "shipped"
    assert stock("FLOW-RED") == {"US-EAST": (8, 0)}  # the reservation was consumed

    assert carrier_update(shipment, "in_transit", location="Newark hub").status_code == 200
    assert carrier_update(shipment, "delivered").status_code == 200
    assert order(buyer, placed["order_id"])["status"] == "delivered"

    asked = buyer.post(
        f"/api/v1/orders/{placed['order_id']}/returns/",
        {"lines": [{"sku": "FLOW-RED", "quantity": 2}], "reason": "too small"},
    )
    assert asked.status_code in (200, 201), asked.content
    [parcel] = staff.get(f"/api/v1/shipping/returns/?order_id={placed['order_id']}").json()["results"]
    assert staff.post(f"/api/v1/shipping/returns/{parcel['return_id']}/receive/").status_code == 200

    returned = order(buyer, placed["order_id"])
    assert returned["status"] == "returned"
    assert returned["payment_status"] == "partially_refunded"  # shipping is kept
    assert stock("FLOW-RED") == {"US-EAST": (10, 0)}  # restocked
    payment = Payment.objects.get(order_id=placed["order_id"])
    assert payment.refunded_amount == Decimal("40.00")  # goods refunded; shipping is not
    ledgers_balance()


def test_split_order_ships_from_two_warehouses(shop, staff):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1, "FLOW-BLUE": 4})  # no warehouse holds both
    paid = order(buyer, placed["order_id"])
    assert paid["status"] == "paid"
    assert sorted(s["warehouse"] for s in paid["shipments"]) == ["DE-CENTRAL", "US-EAST"]
    for shipment in paid["shipments"]:
        staff.post(f"/api/v1/shipping/shipments/{shipment['id']}/dispatch/")
    assert order(buyer, placed["order_id"])["status"] == "shipped"
    assert stock("FLOW-BLUE") == {"US-EAST": (2, 0), "DE-CENTRAL": (1, 0)}
    ledgers_balance()


def test_out_of_stock_cancels_and_never_charges(shop):
    buyer = register()
    # The cart refuses more than orders' projection says can be sold (409 insufficient_stock);
    # a projection a moment behind inventory is how an order still meets no stock.
    SkuAvailability.objects.filter(sku="FLOW-RED").update(available=100)
    placed = checkout(buyer, {"FLOW-RED": 11})
    assert placed["status"] == "cancelled"
    cancelled = order(buyer, placed["order_id"])
    assert cancelled["cancellation_reason"] == "out_of_stock"
    assert not Payment.objects.filter(order_id=placed["order_id"], captured_amount__gt=0).exists()
    assert stock("FLOW-RED") == {"US-EAST": (10, 0)}
    ledgers_balance()


def test_customer_cancel_refunds_and_releases(shop):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 3})
    response = buyer.post(f"/api/v1/orders/{placed['order_id']}/cancel/")
    assert response.status_code == 200, response.content
    cancelled = order(buyer, placed["order_id"])
    assert (cancelled["status"], cancelled["cancellation_reason"]) == ("cancelled", "customer_request")
    assert cancelled["payment_status"] == "refunded"
    assert stock("FLOW-RED") == {"US-EAST": (10, 0)}
    assert [s["status"] for s in cancelled["shipments"]] in ([], ["voided"])
    ledgers_balance()


def test_amend_charges_the_extra_then_refunds_a_decrease(shop):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1})
    more = buyer.post(f"/api/v1/orders/{placed['order_id']}/amend/", {"lines": [{"sku": "FLOW-RED", "quantity": 3}]})
    assert more.status_code == 200, more.content
    assert stock("FLOW-RED") == {"US-EAST": (10, 3)}
    payment = Payment.objects.get(order_id=placed["order_id"])
    assert payment.captured_amount == Decimal(order(buyer, placed["order_id"])["totals"]["total"]["amount"])

    too_many = buyer.post(
        f"/api/v1/orders/{placed['order_id']}/amend/", {"lines": [{"sku": "FLOW-RED", "quantity": 50}]}
    )
    assert too_many.status_code == 409 and too_many.json()["error"]["code"] == "out_of_stock"

    fewer = buyer.post(f"/api/v1/orders/{placed['order_id']}/amend/", {"lines": [{"sku": "FLOW-RED", "quantity": 2}]})
    assert fewer.status_code == 200, fewer.content
    assert stock("FLOW-RED") == {"US-EAST": (10, 2)}
    payment.refresh_from_db()
    total = Decimal(order(buyer, placed["order_id"])["totals"]["total"]["amount"])
    assert payment.captured_amount - payment.refunded_amount == total
    ledgers_balance()


def test_another_customers_order_is_not_found(shop):
    owner, stranger = register(), register()
    placed = checkout(owner, {"FLOW-RED": 1})
    for method, path in [("get", ""), ("post", "cancel/"), ("post", "amend/"), ("post", "returns/")]:
        response = getattr(stranger, method)(f"/api/v1/orders/{placed['order_id']}/{path}", {})
        assert response.status_code == 404, (path, response.status_code)
        assert response.json()["error"]["code"] == "not_found"
