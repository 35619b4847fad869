"""Each subscriber, through the real dispatcher (eager delivery after commit), and the
same event handled twice having one effect."""

import pytest
from django.db import transaction

from flowmart.contracts.common import Address
from flowmart.contracts.orders import OrderCancelled
from flowmart.contracts.shipping import ReturnedLine, ReturnReceived
from flowmart.events import publish
from flowmart.events.models import Delivery
from flowmart.inventory import handlers
from flowmart.inventory.models import Reservation, StockLevel, StockMovement
from tests.support.contract_events import order_amended, order_confirmed, payment_processed, shipment_dispatched

from .conftest import published

pytestmark = pytest.mark.django_db(transaction=True)


def confirmed(order_id=1, lines=(("S", 2),), country="GB"):
    address = Address(name="Ann", line1="1 Road", line2="", city="Leeds", postal_code="LS1", country=country, phone="")
    return order_confirmed(order_id, lines, email="ann@example.com", address=address)


def deliver(event):
    with transaction.atomic():
        publish(event)


def stock_of(sku="S", code="GB-NORTH"):
    lv = StockLevel.objects.get(sku=sku, warehouse__code=code)
    return lv.on_hand, lv.reserved


def test_order_confirmed_reserves_near_the_destination(stock):
    stock({"US-EAST": 5, "GB-NORTH": 5}, sku="S")
    deliver(confirmed(country="GB"))

    assert Delivery.objects.get(subscriber="inventory.reserve_confirmed_order").status == "done"
    assert list(Reservation.objects.values_list("warehouse__code", "quantity")) == [("GB-NORTH", 2)]
    assert published("InventoryAdjusted", reason="reserved", order_id=1)


def test_order_confirmed_short_publishes_out_of_stock(stock):
    stock({"GB-NORTH": 1}, sku="S")
    deliver(confirmed(lines=(("S", 1), ("S", 1))))

    assert published("OutOfStock", order_id=1)[0]["skus"] == ["S"]
    assert not Reservation.objects.exists()


def test_order_cancelled_releases_and_nothing_to_release_is_fine(stock):
    stock({"GB-NORTH": 5}, sku="S")
    deliver(confirmed())
    deliver(OrderCancelled(order_id=1, reason="customer_request"))
    deliver(OrderCancelled(order_id=99, reason="out_of_stock"))

    assert stock_of() == (5, 0)
    assert Reservation.objects.get().status == "released"
    assert Delivery.objects.filter(subscriber="inventory.release_cancelled_order", status="done").count() == 2


def test_payment_succeeded_keeps_the_reservation_failed_does_not(stock):
    stock({"GB-NORTH": 5}, sku="S")
    deliver(confirmed())
    deliver(payment_processed(1, "failed", payment_id=1, amount="20.00"))
    assert Reservation.objects.get().status == "open"
    deliver(payment_processed(1, payment_id=2, amount="20.00"))
    reservation = Reservation.objects.get()
    assert (reservation.status, reservation.expires_at) == ("paid", None)


def test_shipment_dispatched_consumes_that_warehouse(stock):
    stock({"GB-NORTH": 4}, sku="S")
    stock({"US-EAST": 5}, sku="T")
    deliver(confirmed(lines=(("S", 1), ("T", 2)), country="GB"))  # split: S from GB-NORTH, T from US-EAST
    deliver(shipment_dispatched(1, 5, {"T": 2}, warehouse_code="US-EAST"))

    assert stock_of("T", "US-EAST") == (3, 0)
    assert stock_of("S", "GB-NORTH") == (4, 1)
    assert dict(Reservation.objects.values_list("warehouse__code", "status")) == {
        "US-EAST": "consumed",
        "GB-NORTH": "open",
    }
    assert published("InventoryAdjusted", reason="shipped")[0]["levels"] == [{"sku": "T", "available": 3}]
    assert StockMovement.objects.get(kind="ship").reference == "shipment:5"


def test_return_received_restocks(stock):
    stock({"GB-NORTH": 1}, sku="S")
    lines = (ReturnedLine(sku="S", quantity=1, warehouse_code="GB-NORTH"),)
    deliver(ReturnReceived(return_id="ret-1", order_id=1, lines=lines))
    assert stock_of() == (2, 0)


def test_order_amended_applies_the_signed_differences(stock):
    stock({"GB-NORTH": 5}, sku="S")
    stock({"GB-NORTH": 5}, sku="T")
    deliver(confirmed(lines=(("S", 2),)))
    deliver(order_amended(1, "a1", changes={"S": -1, "T": 3}, lines={"S": 1, "T": 3}, old_total=10, new_total=10))
    assert (stock_of("S")[1], stock_of("T")[1]) == (1, 3)
    assert published("InventoryAdjusted", reason="reserved", amendment_id="a1")


@pytest.mark.parametrize(
    ("handler", "make_event"),
    [
        (handlers.reserve_confirmed_order, lambda: confirmed()),
        (handlers.release_cancelled_order, lambda: OrderCancelled(order_id=1, reason="customer_request")),
        (
            handlers.consume_dispatched_shipment,
            lambda: shipment_dispatched(1, 3, {"S": 2}, warehouse_code="GB-NORTH"),
        ),
        (
            handlers.restock_received_return,
            lambda: ReturnReceived(
                return_id="r9", order_id=1, lines=(ReturnedLine(sku="S", quantity=2, warehouse_code="GB-NORTH"),)
            ),
        ),
        (
            handlers.apply_order_amendment,
            lambda: order_amended(1, "a9", changes={"S": 1}, lines={"S": 3}, old_total=10, new_total=10),
        ),
    ],
)
def test_the_same_event_twice_has_one_effect(stock, handler, make_event):
    stock({"GB-NORTH": 10}, sku="S")
    if handler is not handlers.reserve_confirmed_order:
        handlers.reserve_confirmed_order(confirmed())
    before = StockMovement.objects.count()
    event = make_event()

    with transaction.atomic():
        handler(event)
    after_first = (
        StockMovement.objects.count(),
        stock_of(),
        list(Reservation.objects.values_list("status", "quantity")),
    )
    with transaction.atomic():
        handler(event)

    assert after_first[0] > before
    after_second = (
        StockMovement.objects.count(),
        stock_of(),
        list(Reservation.objects.values_list("status", "quantity")),
    )
    assert after_second == after_first
