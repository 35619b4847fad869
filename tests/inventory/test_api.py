"""Staff API: receipts and adjustments through the services; staff roles only (who gets
what per role is tests/test_staff_endpoints.py)."""

import pytest

from flowmart.inventory.models import StockMovement

from .conftest import published

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_staff):
    return make_staff(email="ops@example.com")


def test_receipt_adds_stock_with_a_ledger_line_and_an_event(staff, warehouses):
    response = staff.post(
        "/api/v1/inventory/receipts/", {"sku": "S", "warehouse": "DE-CENTRAL", "quantity": 7, "reason": "PO 42"}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["sku"], body["warehouse"], body["on_hand"], body["available"]) == ("S", "DE-CENTRAL", 7, 7)
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.reason, movement.reference) == ("receive", "PO 42", f"user:{staff.user.id}")
    assert published("InventoryAdjusted", reason="received")[0]["levels"] == [{"sku": "S", "available": 7}]


def test_adjustment_is_signed_needs_a_reason_and_cannot_go_below_zero(staff, stock):
    stock({"US-EAST": 5}, sku="S")
    url = "/api/v1/inventory/adjustments/"

    ok = staff.post(url, {"sku": "S", "warehouse": "US-EAST", "quantity": -2, "reason": "damaged"})
    assert ok.status_code == 201 and ok.json()["on_hand"] == 3

    no_reason = staff.post(url, {"sku": "S", "warehouse": "US-EAST", "quantity": -1})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]

    too_many = staff.post(url, {"sku": "S", "warehouse": "US-EAST", "quantity": -4, "reason": "lost"})
    assert too_many.status_code == 409 and too_many.json()["error"]["code"] == "insufficient_stock"

    unknown = staff.post(url, {"sku": "S", "warehouse": "MOON", "quantity": 1, "reason": "found"})
    assert unknown.status_code == 400 and "warehouse" in unknown.json()["error"]["fields"]
    assert StockMovement.objects.filter(kind="adjust").count() == 1


def test_stock_lists_levels_per_warehouse_for_a_sku(staff, stock):
    stock({"US-EAST": 5, "GB-NORTH": 2}, sku="S")
    stock({"US-EAST": 1}, sku="OTHER")

    rows = staff.get("/api/v1/inventory/stock/?sku=S").json()["results"]

    assert [(r["warehouse"], r["on_hand"], r["reserved"], r["available"]) for r in rows] == [
        ("GB-NORTH", 2, 0, 2),
        ("US-EAST", 5, 0, 5),
    ]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/inventory/receipts/"),
        ("post", "/api/v1/inventory/adjustments/"),
        ("get", "/api/v1/inventory/stock/"),
    ],
)
def test_customers_get_403_and_anonymous_401(customer, make_customer, api_client, warehouses, method, url):
    payload = {"sku": "S", "warehouse": "US-EAST", "quantity": 1, "reason": "x"}
    assert getattr(customer, method)(url, payload).status_code == 403
    flag_only = make_customer(is_staff=True)  # is_staff without a role grants nothing
    assert getattr(flag_only, method)(url, payload).status_code == 403
    assert getattr(api_client, method)(url, payload).status_code == 401
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("quantity", [12943937604912048128, 2**31, 1_000_001, -1_000_001])
def test_quantities_the_stock_columns_cannot_hold_are_400_not_500(staff, stock, quantity):
    """Found by the schemathesis run: an adjustment of 12943937604912048128 units overflowed in PostgreSQL."""
    stock({"US-EAST": 5}, sku="S")
    for url in ("/api/v1/inventory/receipts/", "/api/v1/inventory/adjustments/"):
        response = staff.post(url, {"sku": "S", "warehouse": "US-EAST", "quantity": quantity, "reason": "x"})
        assert response.status_code == 400, response.content
        assert "quantity" in response.json()["error"]["fields"]
    assert StockMovement.objects.filter(reason="x").count() == 0


def test_the_services_refuse_more_than_a_stock_level_holds(stock):
    from flowmart.common.errors import InvalidRequest
    from flowmart.inventory import services
    from flowmart.inventory.models import StockLevel

    stock({"US-EAST": 5}, sku="S")
    StockLevel.objects.filter(sku="S").update(on_hand=services.MAX_ON_HAND - 10)  # near the column's limit
    with pytest.raises(InvalidRequest):
        services.receive_stock(sku="S", warehouse_code="US-EAST", quantity=11)
    with pytest.raises(InvalidRequest):
        services.adjust_stock(sku="S", warehouse_code="US-EAST", quantity=11, reason="recount")
