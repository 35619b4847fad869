"""Reservation lifecycle and the events every stock change publishes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from flowmart.inventory import services
from flowmart.inventory.models import ClosedOrder, Reservation, StockLevel, StockMovement

from .conftest import published

pytestmark = pytest.mark.django_db


def level(sku, code="US-EAST"):
    return StockLevel.objects.get(sku=sku, warehouse__code=code)


def test_receive_and_adjust_write_the_ledger_and_publish_levels(stock):
    stock({"US-EAST": 5, "DE-CENTRAL": 2}, sku="S")
    services.adjust_stock(sku="S", warehouse_code="US-EAST", quantity=-2, reason="damaged", reference="user:1")

    assert (level("S").on_hand, level("S").available) == (3, 3)
    moves = list(StockMovement.objects.order_by("id").values_list("kind", "on_hand_delta", "on_hand_after", "reason"))
    assert moves[-1] == ("adjust", -2, 3, "damaged")
    adjusted = published("InventoryAdjusted", reason="adjusted")
    assert adjusted[-1]["levels"] == [{"sku": "S", "available": 5}]
    assert [p["reason"] for p in published("InventoryAdjusted")] == ["received", "received", "adjusted"]


def test_adjustment_cannot_take_reserved_units(stock):
    from flowmart.common.errors import Conflict

    stock({"US-EAST": 3}, sku="S")
    services.reserve_order(order_id=1, lines=[("S", 2)], destination_country="US")
    with pytest.raises(Conflict):
        services.adjust_stock(sku="S", warehouse_code="US-EAST", quantity=-2, reason="recount")
    assert level("S").on_hand == 3


def test_reservation_publishes_allocations_levels_and_alerts(stock):
    stock({"US-EAST": 6}, sku="S", threshold=3)
    stock({"DE-CENTRAL": 1}, sku="S")

    services.reserve_order(order_id=7, lines=[("S", 3)], destination_country="US")

    [reserved] = published("InventoryAdjusted", reason="reserved")
    assert reserved["order_id"] == 7 and reserved["amendment_id"] is None
    assert reserved["allocations"] == [
        {"sku": "S", "quantity": 3, "warehouse_code": "US-EAST", "warehouse_country": "US"}
    ]
    assert reserved["levels"] == [{"sku": "S", "available": 4}]
    assert published("LowStock") == [
        published("LowStock")[0] | {"sku": "S", "warehouse_code": "US-EAST", "available": 3, "threshold": 3}
    ]
    reservation = Reservation.objects.get()
    assert reservation.status == "open"
    assert timedelta(minutes=14) < reservation.expires_at - timezone.now() <= timedelta(minutes=15)

    services.reserve_order(order_id=8, lines=[("S", 4)], destination_country="US")
    assert len(published("LowStock")) == 1  # already below: no second crossing
    assert [p["skus"] for p in published("OutOfStock", order_id=None)] == [["S"]]


def test_failed_reservation_reserves_nothing_and_names_the_short_skus(stock):
    stock({"US-EAST": 5}, sku="A")
    stock({"US-EAST": 1}, sku="B")

    outcome = services.reserve_order(order_id=3, lines=[("A", 1), ("B", 2), ("C", 1)], destination_country="US")

    assert not outcome.ok
    assert published("OutOfStock", order_id=3)[0]["skus"] == ["B", "C"]
    assert not Reservation.objects.exists() and level("A").reserved == 0
    assert not published("InventoryAdjusted", reason="reserved")


def test_expiry_releases_unpaid_reservations_and_announces_it(stock):
    stock({"US-EAST": 5}, sku="S")
    services.reserve_order(order_id=1, lines=[("S", 2)], destination_country="US")
    services.reserve_order(order_id=2, lines=[("S", 1)], destination_country="US")
    services.mark_paid(order_id=2)

    assert services.expire_reservations(now=timezone.now() + timedelta(minutes=16)) == 1

    assert dict(Reservation.objects.values_list("order_id", "status")) == {1: "expired", 2: "paid"}
    assert (level("S").on_hand, level("S").reserved) == (5, 1)
    assert [p["order_id"] for p in published("ReservationExpired")] == [1]
    [expired] = published("InventoryAdjusted", reason="expired")
    assert expired["order_id"] == 1 and expired["levels"] == [{"sku": "S", "available": 4}]
    assert StockMovement.objects.filter(kind="expire", reserved_delta=-2).count() == 1
    assert services.expire_reservations(now=timezone.now() + timedelta(hours=1)) == 0  # nothing twice


def test_release_after_consume_changes_nothing(stock):
    stock({"US-EAST": 5}, sku="S")
    services.reserve_order(order_id=1, lines=[("S", 2)], destination_country="US")
    services.consume_for_shipment(order_id=1, warehouse_code="US-EAST", lines=[("S", 2)], shipment_id=11)

    assert services.release_order(order_id=1, reason="customer_request") == 0
    assert (level("S").on_hand, level("S").reserved) == (3, 0)
    assert not published("InventoryAdjusted", reason="released")


def test_consume_after_release_records_nothing(stock):
    stock({"US-EAST": 5}, sku="S")
    services.reserve_order(order_id=1, lines=[("S", 2)], destination_country="US")
    services.release_order(order_id=1, reason="customer_request")

    assert services.consume_for_shipment(order_id=1, warehouse_code="US-EAST", lines=[("S", 2)], shipment_id=9) == 0
    assert (level("S").on_hand, level("S").reserved) == (5, 0)
    assert not StockMovement.objects.filter(kind="ship").exists()


def test_a_late_order_confirmation_after_cancel_reserves_nothing(stock):
    stock({"US-EAST": 5}, sku="S")
    services.release_order(order_id=4, reason="customer_request")

    assert services.reserve_order(order_id=4, lines=[("S", 1)], destination_country="US").already_done
    assert ClosedOrder.objects.filter(order_id=4).exists() and not Reservation.objects.exists()


def test_amendment_reserves_and_releases_only_the_difference(stock):
    stock({"US-EAST": 5, "DE-CENTRAL": 5}, sku="A")
    stock({"DE-CENTRAL": 5, "US-EAST": 5}, sku="B")
    services.reserve_order(order_id=1, lines=[("A", 3)], destination_country="DE")
    services.mark_paid(order_id=1)

    outcome = services.apply_amendment(order_id=1, amendment_id="am1", changes=[("A", -1), ("B", 2)])

    assert outcome.ok
    assert [(a.sku, a.quantity, a.warehouse_code) for a in outcome.allocations] == [("B", 2, "DE-CENTRAL")]
    rows = {(r.sku, r.amendment_id): (r.quantity, r.status, r.expires_at) for r in Reservation.objects.all()}
    assert rows == {("A", None): (2, "paid", None), ("B", "am1"): (2, "paid", None)}
    assert (level("A", "DE-CENTRAL").reserved, level("B", "DE-CENTRAL").reserved) == (2, 2)
    [reserved] = published("InventoryAdjusted", reason="reserved", amendment_id="am1")
    assert reserved["levels"] == [{"sku": "A", "available": 8}, {"sku": "B", "available": 8}]
    assert published("InventoryAdjusted", reason="released", amendment_id="am1")[0]["allocations"][0]["quantity"] == 1


def test_amendment_that_cannot_be_covered_changes_nothing(stock):
    stock({"US-EAST": 3}, sku="A")
    stock({"US-EAST": 1}, sku="B")
    services.reserve_order(order_id=1, lines=[("A", 3)], destination_country="US")

    outcome = services.apply_amendment(order_id=1, amendment_id="am2", changes=[("A", -2), ("B", 5)])

    assert not outcome.ok
    assert published("OutOfStock", amendment_id="am2")[0]["skus"] == ["B"]
    assert list(Reservation.objects.values_list("sku", "quantity", "status")) == [("A", 3, "open")]
    assert level("A").reserved == 3 and level("B").reserved == 0


def test_restock_return_puts_units_back_once(stock):
    stock({"GB-NORTH": 1}, sku="S")

    services.restock_return(return_id="r1", order_id=5, lines=[("S", 2, "GB-NORTH"), ("S", 1, "NOWHERE")])
    services.restock_return(return_id="r1", order_id=5, lines=[("S", 2, "GB-NORTH")])

    assert level("S", "GB-NORTH").on_hand == 3
    assert StockMovement.objects.filter(kind="return", reference="return:r1").count() == 1
    assert published("InventoryAdjusted", reason="returned")[0]["levels"] == [{"sku": "S", "available": 3}]


def test_an_amendment_overtaking_the_confirmation_is_retried_later(stock):
    stock({"US-EAST": 5}, sku="S")
    with pytest.raises(services.OrderNotReservedYet):
        services.apply_amendment(order_id=9, amendment_id="early", changes=[("S", 1)])

    services.reserve_order(order_id=9, lines=[("S", 1)], destination_country="US")
    assert services.apply_amendment(order_id=9, amendment_id="early", changes=[("S", 1)]).ok
    assert level("S").reserved == 2

    services.release_order(order_id=10, reason="out_of_stock")  # cancelled, never reserved: ignore
    assert not services.apply_amendment(order_id=10, amendment_id="late", changes=[("S", 1)]).ok
