"""Operations' commands: create_warehouse and receive_stock go through the services, so a
receipt is a ledger movement plus InventoryAdjusted, exactly as through the API."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from flowmart.inventory.models import SellerSku, StockLevel, StockMovement, Warehouse

from .conftest import published

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_warehouse_makes_one_routing_can_use():
    out, _ = run(
        "create_warehouse", "fr-south", "--name", "Lyon fulfilment", "--country", "fr", "--latitude", "45.764",
        "--longitude", "4.8357",
    )  # fmt: skip

    warehouse = Warehouse.objects.get()
    assert (warehouse.code, warehouse.name, warehouse.country) == ("FR-SOUTH", "Lyon fulfilment", "FR")
    assert (warehouse.latitude, warehouse.longitude) == (Decimal("45.764"), Decimal("4.8357"))
    assert "Created warehouse FR-SOUTH" in out


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["bad code!", "--country", "FR"], "code: 1-32 letters"),
        (["FR-1", "--country", "XX"], "country: An ISO 3166-1 alpha-2 country code"),
        (["FR-1", "--country", "FR", "--latitude", "91"], "latitude: Decimal degrees between -90 and 90"),
        (["FR-1", "--country", "FR", "--longitude", "east"], "longitude: Decimal degrees between -180 and 180"),
        (["FR-1", "--country", "FR", "--name", " "], "name: A name of 1-120 characters"),
    ],
)
def test_create_warehouse_names_each_bad_argument(args, problem):
    defaults = {"--name": "Lyon", "--latitude": "45.7", "--longitude": "4.8"}
    given = set(args[1::2])
    args += [item for flag, value in defaults.items() if flag not in given for item in (flag, value)]

    with pytest.raises(CommandError, match=problem):
        call_command("create_warehouse", *args)

    assert not Warehouse.objects.exists()


def test_create_warehouse_refuses_a_taken_code(warehouses):
    with pytest.raises(CommandError, match="Warehouse US-EAST exists already"):
        run("create_warehouse", "us-east", "--name", "x", "--country", "US", "--latitude", "1", "--longitude", "1")


def test_receive_stock_writes_the_ledger_and_publishes_like_the_api(warehouses, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "olga")
    SellerSku.objects.create(sku="KET-1", seller_id=3, as_of="2026-01-01T00:00:00Z")

    out, err = run("receive_stock", "KET-1", "de-central", "12", "--reason", "PO 42")

    level = StockLevel.objects.get(sku="KET-1")
    assert (level.warehouse.code, level.on_hand, level.reserved) == ("DE-CENTRAL", 12, 0)
    movement = StockMovement.objects.get()
    assert (movement.kind, movement.on_hand_delta, movement.reason) == ("receive", 12, "PO 42")
    assert movement.reference == "command:olga"
    assert published("InventoryAdjusted", reason="received")[0]["levels"] == [{"sku": "KET-1", "available": 12}]
    assert "Received 12 × KET-1 at DE-CENTRAL: 12 on hand, 12 available" in out and err == ""


def test_receive_stock_notes_a_sku_no_product_has_yet(warehouses):
    _, err = run("receive_stock", "NEW-1", "US-EAST", "1", "--reference", "PO:7")

    assert "no published product has SKU NEW-1" in err
    assert StockMovement.objects.get().reference == "PO:7"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["S-1", "MOON", "3"], "warehouse: Unknown warehouse"),
        (["S-1", "US-EAST", "0"], "quantity: Must be positive"),
        (["S-1", "US-EAST", "-2"], "quantity: Must be positive"),
        (["S-1", "US-EAST", "many"], "invalid int value: 'many'"),
        (["x" * 65, "US-EAST", "1"], "sku: 1-64 characters"),
    ],
)
def test_receive_stock_refuses_bad_arguments_and_writes_nothing(warehouses, args, problem):
    with pytest.raises(CommandError, match=problem):
        call_command("receive_stock", *args)

    assert not StockMovement.objects.exists() and not published("InventoryAdjusted")
