"""Customer actions on orders: read, cancel, amend, return — and only on their own orders."""

import dataclasses
import uuid

import pytest

from flowmart.contracts.shipping import ReturnedLine, ReturnInitiated, ReturnReceived
from flowmart.events.models import OutboxEvent
from flowmart.orders.models import Order, OrderReturn
from tests.support.contract_events import out_of_stock, shipment_delivered

from .conftest import payment, reserved, status_of
from .test_saga import created, dispatched, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer, shop, place):
    return place(customer, {"MUG-1": 2, "TEE-1": 1})


@pytest.fixture
def paid(order, emit):
    emit(reserved(order), payment(order))
    return order


@pytest.fixture
def delivered(paid, emit):
    emit(created(paid, 901), dispatched(paid, 901), shipment_delivered(paid, 901))
    return paid


def test_orders_list_shows_only_the_callers_orders(make_customer, shop, place):
    alice, bob = make_customer(), make_customer()
    mine = [place(alice, {"MUG-1": 1}), place(alice, {"TEE-1": 1})]
    place(bob, {"MUG-1": 1})
    body = alice.get("/api/v1/orders/?page_size=1").json()
    assert body["count"] == 2 and body["next"] and len(body["results"]) == 1
    assert body["results"][0]["id"] == mine[1]
    assert set(body["results"][0]) >= {
        "id", "number", "status", "cancellation_reason", "lines", "totals", "shipping_address",
        "shipping_method", "payment_status", "shipments", "timeline", "created_at",
    }  # fmt: skip


def test_another_customers_order_is_not_found_on_every_endpoint(make_customer, order, customer):
    other = make_customer()
    base = f"/api/v1/orders/{order}"
    for response in (
        other.get(f"{base}/"),
        other.post(f"{base}/cancel/"),
        other.post(f"{base}/amend/", {"lines": [{"sku": "MUG-1", "quantity": 1}]}, format="json"),
        other.post(f"{base}/returns/", {"lines": [{"sku": "MUG-1", "quantity": 1}], "reason": "x"}, format="json"),
        other.get("/api/v1/orders/999999/"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert other.get("/api/v1/orders/").json()["count"] == 0
    assert status_of(customer, order) == ("pending", None)


@pytest.mark.parametrize("setup", ["pending", "paid"])
def test_customer_can_cancel_until_shipped(customer, order, emit, setup):
    if setup == "paid":
        emit(reserved(order), payment(order))
    response = customer.post(f"/api/v1/orders/{order}/cancel/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancellation_reason"]) == ("cancelled", "customer_request")
    assert published("OrderCancelled", order_id=order)[0]["reason"] == "customer_request"


def test_cancel_after_shipping_is_a_conflict(customer, paid, emit):
    emit(created(paid, 911), dispatched(paid, 911))
    response = customer.post(f"/api/v1/orders/{paid}/cancel/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    assert status_of(customer, paid) == ("shipped", None)
    again = customer.post(f"/api/v1/orders/{paid}/amend/", {"lines": [{"sku": "MUG-1", "quantity": 1}]}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def amend(client, order_id, lines):
    body = {"lines": [{"sku": sku, "quantity": qty} for sku, qty in lines.items()]}
    return client.post(f"/api/v1/orders/{order_id}/amend/", body, format="json")


def test_amendment_changes_lines_totals_and_publishes_the_difference(customer, paid):
    response = amend(customer, paid, {"MUG-1": 3, "LAMP-1": 1})  # TEE-1 dropped
    assert response.status_code == 200
    body = response.json()
    assert [(ln["sku"], ln["quantity"]) for ln in body["lines"]] == [("MUG-1", 3), ("LAMP-1", 1)]
    # goods 37.50 + 45.99 = 83.49; shipping stays 12.00; DE VAT 19 % = 15.86
    assert body["totals"]["subtotal"]["amount"] == "83.49"
    # Tax is rounded per line (docs/tax.md): 37.50 × 0.19 = 7.125 → 7.13, 45.99 × 0.19 = 8.7381 → 8.74.
    assert body["totals"]["tax"]["amount"] == "15.87"
    assert body["totals"]["total"]["amount"] == "111.36"
    event = published("OrderAmended", order_id=paid)[0]
    assert sorted((c["sku"], c["quantity"]) for c in event["changes"]) == [("LAMP-1", 1), ("MUG-1", 1), ("TEE-1", -1)]
    assert event["old_total"]["amount"] == "65.55" and event["new_total"]["amount"] == "111.36"
    assert [(ln["sku"], ln["quantity"]) for ln in event["lines"]] == [("MUG-1", 3), ("LAMP-1", 1)]


def test_amendment_beyond_known_stock_is_refused_and_changes_nothing(customer, paid, stock):
    stock(**{"LAMP-1": 1})
    response = amend(customer, paid, {"MUG-1": 2, "TEE-1": 1, "LAMP-1": 2})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "out_of_stock"
    body = customer.get(f"/api/v1/orders/{paid}/").json()
    assert [(ln["sku"], ln["quantity"]) for ln in body["lines"]] == [("MUG-1", 2), ("TEE-1", 1)]
    assert body["totals"]["total"]["amount"] == "65.55"
    assert not OutboxEvent.objects.filter(name="OrderAmended").exists()


@pytest.mark.parametrize(
    "lines",
    [[], [{"sku": "NOPE", "quantity": 1}], [{"sku": "MUG-1", "quantity": 0}], [{"sku": "MUG-1", "quantity": 101}]],
)
def test_invalid_amendments_are_400(customer, paid, lines):
    response = customer.post(f"/api/v1/orders/{paid}/amend/", {"lines": lines}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_inventory_refusing_an_amendment_restores_the_previous_lines(customer, paid, emit):
    amend(customer, paid, {"MUG-1": 5})
    amendment_id = published("OrderAmended", order_id=paid)[0]["amendment_id"]
    assert amend(customer, paid, {"MUG-1": 6}).status_code == 409  # the first is not settled yet
    emit(out_of_stock(paid, amendment_id=amendment_id))
    body = customer.get(f"/api/v1/orders/{paid}/").json()
    assert body["status"] == "paid"
    assert [(ln["sku"], ln["quantity"]) for ln in body["lines"]] == [("MUG-1", 2), ("TEE-1", 1)]
    assert body["totals"]["total"]["amount"] == "65.55"
    assert "amendment reverted" in body["timeline"][-1]["event"]


def test_inventory_confirming_an_amendment_settles_it(customer, paid, emit):
    amend(customer, paid, {"MUG-1": 1, "TEE-1": 1})
    amendment_id = published("OrderAmended", order_id=paid)[0]["amendment_id"]
    emit(reserved(paid, amendment_id=amendment_id, allocations=()))
    assert status_of(customer, paid) == ("paid", None)  # not moved back to awaiting_payment
    assert amend(customer, paid, {"MUG-1": 2, "TEE-1": 1}).status_code == 200
    emit(out_of_stock(paid, amendment_id=amendment_id))  # stale: already settled
    lines = customer.get(f"/api/v1/orders/{paid}/").json()["lines"]
    assert [(ln["sku"], ln["quantity"]) for ln in lines] == [("MUG-1", 2), ("TEE-1", 1)]


def ret(client, order_id, lines, reason="too small"):
    body = {"lines": [{"sku": sku, "quantity": qty} for sku, qty in lines.items()], "reason": reason}
    return client.post(f"/api/v1/orders/{order_id}/returns/", body, format="json")


def test_returns_only_after_delivery(customer, paid):
    response = ret(customer, paid, {"MUG-1": 1})
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_return_quantities_are_bounded(customer, delivered):
    assert ret(customer, delivered, {"MUG-1": 3}).status_code == 400
    assert ret(customer, delivered, {"LAMP-1": 1}).status_code == 400
    assert ret(customer, delivered, {"MUG-1": 2}).status_code == 201
    assert ret(customer, delivered, {"MUG-1": 1}).status_code == 400  # both already on their way back


def test_return_flow_refunds_each_lines_share_and_ends_returned(customer, delivered, emit):
    first = ret(customer, delivered, {"MUG-1": 1})
    assert first.status_code == 201
    return_id = first.json()["return_id"]
    requested = published("ReturnRequested", order_id=delivered)[0]
    assert requested["return_id"] == return_id and requested["lines"] == [{"sku": "MUG-1", "quantity": 1}]
    assert requested["shipping_address"]["country"] == "DE"
    emit(
        ReturnInitiated(
            return_id=return_id,
            order_id=delivered,
            lines=(),
            reason="too small",
            carrier="postal",
            tracking_number="RT1",
            label_url="https://labels.example/rt1.pdf",
        )
    )
    assert OrderReturn.objects.get(return_id=return_id).status == "initiated"
    shown = customer.get(f"/api/v1/orders/{delivered}/").json()["returns"]
    assert shown == [
        {
            "id": return_id,
            "status": "initiated",
            "lines": [{"sku": "MUG-1", "quantity": 1}],
            "reason": "too small",
            "tracking_number": "RT1",
            "label_url": "https://labels.example/rt1.pdf",
            "refund": None,
        }
    ]
    emit(
        ReturnReceived(
            return_id=return_id,
            order_id=delivered,
            lines=(ReturnedLine(sku="MUG-1", quantity=1, warehouse_code="US-EAST"),),
        )
    )
    # MUG-1 line paid 25.00 + 4.75 tax share = 29.75 for two; one back → 14.88
    refund = published("RefundRequested", order_id=delivered)[0]
    assert (refund["reference"], refund["reason"], refund["amount"]["amount"]) == (return_id, "return", "14.88")
    assert status_of(customer, delivered)[0] == "delivered"

    second = ret(customer, delivered, {"MUG-1": 1, "TEE-1": 1}).json()["return_id"]
    received = ReturnReceived(
        return_id=second,
        order_id=delivered,
        lines=(
            ReturnedLine(sku="MUG-1", quantity=1, warehouse_code="US-EAST"),
            ReturnedLine(sku="TEE-1", quantity=1, warehouse_code="DE-CENTRAL"),
        ),
    )
    emit(received)
    emit(dataclasses.replace(received, event_id=uuid.uuid4()))  # a second copy, as shipping might send
    refunds = published("RefundRequested", order_id=delivered)
    assert [r["amount"]["amount"] for r in refunds] == ["14.88", "38.67"]  # 14.87 + 20.00 + 3.80
    assert status_of(customer, delivered)[0] == "returned"
    assert Order.objects.get(pk=delivered).lines.filter(returned_quantity=0).count() == 0


def test_amending_an_order_still_being_confirmed_is_a_conflict(customer, order):
    response = amend(customer, order, {"MUG-1": 1})
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_an_amendments_extra_charge_never_moves_the_order(customer, paid, emit):
    amend(customer, paid, {"MUG-1": 3, "TEE-1": 1})
    amendment_id = published("OrderAmended", order_id=paid)[0]["amendment_id"]
    emit(reserved(paid, amendment_id=amendment_id, allocations=()))
    failed = payment(paid, status="failed", failure_code="card_declined", amount="14.88")
    emit(dataclasses.replace(failed, amendment_id=amendment_id))
    body = customer.get(f"/api/v1/orders/{paid}/").json()
    assert (body["status"], body["payment_status"]) == ("paid", "paid")
    assert "failed (card_declined)" in body["timeline"][-1]["event"]


def test_orders_can_be_filtered_by_status(customer, order, place, emit):
    other = place(customer, {"TEE-1": 1})
    emit(reserved(other))
    assert [o["id"] for o in customer.get("/api/v1/orders/?status=awaiting_payment").json()["results"]] == [other]
    assert [o["id"] for o in customer.get("/api/v1/orders/?status=pending").json()["results"]] == [order]


@pytest.mark.parametrize("bad_id", ["abc", "99999999999999999999", "-1"])
def test_malformed_or_huge_ids_are_not_found(customer, bad_id):
    assert customer.get(f"/api/v1/orders/{bad_id}/").status_code == 404
    assert customer.get(f"/api/v1/carts/{bad_id}/").status_code == 404
    assert customer.post(f"/api/v1/orders/{bad_id}/cancel/").status_code == 404
