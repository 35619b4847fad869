"""The invariant check finds planted drift: command exits non-zero, beat task logs ERROR."""

import logging

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from flowmart.inventory import services, tasks
from flowmart.inventory.models import Reservation, StockLevel, StockMovement
from flowmart.inventory.selectors import inventory_drift

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_stock(stock):
    stock({"US-EAST": 5, "DE-CENTRAL": 4}, sku="S")
    services.reserve_order(order_id=1, lines=[("S", 2)], destination_country="US")
    services.reserve_order(order_id=2, lines=[("S", 5)], destination_country="US")
    services.consume_for_shipment(order_id=1, warehouse_code="US-EAST", lines=[("S", 2)], shipment_id=1)
    services.release_order(order_id=2, reason="customer_request")
    services.restock_return(return_id="r", order_id=1, lines=[("S", 1, "US-EAST")])


def test_a_consistent_inventory_passes(busy_stock, capsys):
    assert inventory_drift() == []
    call_command("check_inventory")
    assert "invariants hold" in capsys.readouterr().out
    assert tasks.check_inventory() == 0


def test_on_hand_drift_from_the_ledger_is_reported(busy_stock, capsys, caplog):
    StockLevel.objects.filter(sku="S", warehouse__code="US-EAST").update(on_hand=F("on_hand") + 3)

    with pytest.raises(CommandError):
        call_command("check_inventory")
    assert "S @ US-EAST: on_hand differs from the ledger (expected 4, found 7)" in capsys.readouterr().err
    with caplog.at_level(logging.ERROR, logger="flowmart.inventory"):
        assert tasks.check_inventory() == 1
    assert any(r.levelno == logging.ERROR and "inventory drift" in r.getMessage() for r in caplog.records)


def test_reserved_drift_from_open_reservations_is_reported(busy_stock):
    services.reserve_order(order_id=3, lines=[("S", 1)], destination_country="DE")
    Reservation.objects.filter(order_id=3).update(quantity=2)

    [drift] = inventory_drift()
    assert (drift.sku, drift.warehouse_code, drift.expected, drift.actual) == ("S", "DE-CENTRAL", 2, 1)
    assert "open+paid reservations" in drift.problem


def test_ledger_lines_without_a_stock_row_are_reported(busy_stock, warehouses):
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                kind="receive",
                sku="GHOST",
                warehouse=warehouses["GB-NORTH"],
                on_hand_delta=4,
                reserved_delta=0,
                on_hand_after=4,
                reserved_after=0,
            )
        ]
    )
    assert [(d.sku, d.problem) for d in inventory_drift()] == [("GHOST", "ledger lines without a stock row")]


def test_ledger_lines_cannot_be_edited_or_deleted(busy_stock):
    movement = StockMovement.objects.first()
    with pytest.raises(ValueError):
        movement.save()
    with pytest.raises(ValueError):
        movement.delete()


def test_the_database_refuses_to_rewrite_the_ledger(busy_stock):
    from importlib import import_module

    from django.db import DatabaseError, connection, transaction

    migration = import_module("flowmart.inventory.migrations.0002_movement_append_only")
    with connection.cursor() as cursor:
        cursor.execute(migration.FORWARD)  # the test database is built without migrations
    for attempt in (
        lambda: StockMovement.objects.update(reason="rewritten"),
        lambda: StockMovement.objects.filter(kind="ship").delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert not StockMovement.objects.filter(reason="rewritten").exists()
