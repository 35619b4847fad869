"""demo_inventory is idempotent; the admin stock form goes through the services."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from flowmart.common import demo
from flowmart.inventory.models import StockLevel, StockMovement, Warehouse
from flowmart.inventory.selectors import inventory_drift

from .conftest import published


@pytest.mark.django_db
def test_demo_inventory_receives_the_demo_stock_once():
    call_command("demo_inventory")
    movements, events = StockMovement.objects.count(), len(published("InventoryAdjusted"))
    call_command("demo_inventory")

    assert Warehouse.objects.count() == 3
    assert StockMovement.objects.count() == movements and len(published("InventoryAdjusted")) == events
    expected = {
        (v["sku"], code): qty
        for p in demo.products()
        for v in p["variants"]
        for code, qty in v["stock"].items()
        if qty > 0
    }
    actual = {(lv.sku, lv.warehouse.code): lv.on_hand for lv in StockLevel.objects.select_related("warehouse")}
    assert actual == expected and movements == len(expected)
    assert inventory_drift() == []


@pytest.fixture
def admin_client_(client, db):
    user = get_user_model().objects.create_superuser(email="root@example.com", password="S3cure-pass-123")
    client.force_login(user)
    return client


def test_admin_pages_render(admin_client_, stock):
    stock({"US-EAST": 2}, sku="S")
    for page in ["warehouse", "stocklevel", "stockmovement", "reservation"]:
        assert admin_client_.get(f"/admin/inventory/{page}/").status_code == 200
    level = StockLevel.objects.get()
    assert admin_client_.get(f"/admin/inventory/stocklevel/{level.pk}/change/").status_code == 200


def test_admin_adjustment_is_a_ledger_line_and_an_event(admin_client_, stock, warehouses):
    stock({"US-EAST": 5}, sku="S")
    level = StockLevel.objects.get()
    url = f"/admin/inventory/stocklevel/{level.pk}/change/"

    refused = admin_client_.post(url, {"low_stock_threshold": 5, "adjust_quantity": -1, "reason": ""})
    assert refused.status_code == 200  # form shown again with the error
    response = admin_client_.post(url, {"low_stock_threshold": 2, "adjust_quantity": -1, "reason": "broken"})
    assert response.status_code == 302

    level.refresh_from_db()
    assert (level.on_hand, level.low_stock_threshold) == (4, 2)
    assert StockMovement.objects.filter(kind="adjust", reason="broken").count() == 1
    assert published("InventoryAdjusted", reason="adjusted")

    add = admin_client_.post(
        "/admin/inventory/stocklevel/add/",
        {"sku": "NEW", "warehouse": warehouses["GB-NORTH"].pk, "low_stock_threshold": 1, "receive_quantity": 3},
    )
    assert add.status_code == 302
    assert StockLevel.objects.get(sku="NEW").on_hand == 3
    assert inventory_drift() == []
