"""The reservation path on the embedded default (SQLite): the portable writes behind the
StockBook keep the same results as PostgreSQL's single statement. The suite runs on
PostgreSQL, so this runs in a child process on a fresh SQLite database."""

import pytest

from tests.support.embedded import run_on_sqlite

SCRIPT = """
import json

import django

django.setup()
from django.core.management import call_command
from django.db import connection

from flowmart.common import demo
from flowmart.events.models import OutboxEvent
from flowmart.inventory import selectors, services
from flowmart.inventory.models import Reservation, StockLevel, StockMovement

call_command("migrate", verbosity=0)
for w in demo.WAREHOUSES:
    services.create_warehouse(
        code=w["code"], name=w["name"], country=w["country"], latitude=w["latitude"], longitude=w["longitude"]
    )
services.receive_stock(sku="S", warehouse_code="US-EAST", quantity=3)
services.receive_stock(sku="S", warehouse_code="GB-NORTH", quantity=3)
outcomes = {
    "first": services.reserve_order(order_id=1, lines=[("S", 2)], destination_country="US"),
    "again": services.reserve_order(order_id=1, lines=[("S", 2)], destination_country="US"),
    "split": services.reserve_order(order_id=2, lines=[("S", 4)], destination_country="US"),
    "short": services.reserve_order(order_id=3, lines=[("S", 1)], destination_country="US"),
}
paid = services.mark_paid(order_id=1)
shipped = services.consume_for_shipment(order_id=1, warehouse_code="US-EAST", lines=[("S", 2)], shipment_id=5)
released = services.release_order(order_id=2, reason="customer_request")
outcomes["late"] = services.reserve_order(order_id=2, lines=[("S", 1)], destination_country="US")
out = {
    "vendor": connection.vendor,
    "outcomes": {
        name: [o.ok, o.already_done, [[a.sku, a.quantity, a.warehouse_code] for a in o.allocations]]
        for name, o in outcomes.items()
    },
    "paid": paid,
    "shipped": shipped,
    "released": released,
    "levels": sorted([lv.warehouse.code, lv.on_hand, lv.reserved] for lv in StockLevel.objects.all()),
    "reservations": list(
        Reservation.objects.order_by("id").values_list("order_id", "warehouse__code", "quantity", "status")
    ),
    "ledger": list(StockMovement.objects.order_by("id").values_list("kind", "reserved_delta", "reserved_after")),
    "reserved_events": [
        p["levels"]
        for p in OutboxEvent.objects.filter(name="InventoryAdjusted").order_by("id").values_list("payload", flat=True)
        if p["reason"] == "reserved"
    ],
    "drift": [str(d) for d in selectors.inventory_drift()],
}
print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    database = tmp_path_factory.mktemp("embedded") / "db.sqlite3"
    return run_on_sqlite(SCRIPT, database)


def test_reservations_route_split_and_stay_idempotent_on_sqlite(embedded):
    assert embedded["vendor"] == "sqlite"
    assert embedded["outcomes"] == {
        "first": [True, False, [["S", 2, "US-EAST"]]],
        "again": [True, True, []],
        "split": [True, False, [["S", 3, "GB-NORTH"], ["S", 1, "US-EAST"]]],  # most units first
        "short": [False, False, []],
        "late": [True, True, []],  # released before: never reserved again
    }
    assert embedded["reserved_events"] == [[{"sku": "S", "available": 4}], [{"sku": "S", "available": 0}]]


def test_paying_shipping_and_releasing_keep_the_books_straight_on_sqlite(embedded):
    assert (embedded["paid"], embedded["shipped"], embedded["released"]) == (1, 2, 4)
    assert embedded["levels"] == [["GB-NORTH", 3, 0], ["US-EAST", 1, 0]]
    assert embedded["reservations"] == [
        [1, "US-EAST", 2, "consumed"],
        [2, "GB-NORTH", 3, "released"],
        [2, "US-EAST", 1, "released"],
    ]
    assert [kind for kind, _, _ in embedded["ledger"]] == [
        "receive", "receive", "reserve", "reserve", "reserve", "ship", "release", "release"
    ]  # fmt: skip
    assert embedded["drift"] == []
