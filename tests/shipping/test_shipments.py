import pytest
from django.core.files.storage import default_storage

from flowmart.shipping import services
from flowmart.shipping.models import OrderAllocation, Shipment
from tests.shipping.conftest import (
    SPLIT,
    deliver,
    inventory_adjusted,
    order_cancelled,
    order_confirmed,
    payment_processed,
    published,
)

pytestmark = pytest.mark.django_db


def lines_of(shipment):
    return {line.sku: line.quantity for line in shipment.lines.all()}


def test_split_order_ships_from_two_warehouses_with_labels(paid_split_order):
    shipments = {s.warehouse_code: s for s in Shipment.objects.filter(order_id=paid_split_order)}
    assert set(shipments) == {"US-EAST", "DE-CENTRAL"}
    assert lines_of(shipments["US-EAST"]) == {"SKU-A": 2}
    assert lines_of(shipments["DE-CENTRAL"]) == {"SKU-B": 1}
    for shipment in shipments.values():
        assert shipment.status == "created"
        assert (shipment.method, shipment.carrier) == ("standard", "postal")
        assert shipment.destination["city"] == "Boston"
        # Named for storage; drawn and stored on its first download (test_labels.py).
        assert shipment.label.name.startswith("shipping/labels/") and shipment.tracking_number in shipment.label.name
        content = services.stored_label(shipment.pk).read()
        assert content.startswith(b"%PDF") and len(content) > 1000
        assert default_storage.exists(shipment.label.name)
    assert shipments["US-EAST"].tracking_number != shipments["DE-CENTRAL"].tracking_number

    created = published("ShipmentCreated", order_id=paid_split_order)
    assert sorted((e["warehouse_code"], e["lines"][0]["sku"]) for e in created) == [
        ("DE-CENTRAL", "SKU-B"),
        ("US-EAST", "SKU-A"),
    ]
    by_id = {e["shipment_id"]: e for e in created}
    for shipment in shipments.values():
        assert by_id[shipment.pk]["tracking_number"] == shipment.tracking_number
        assert by_id[shipment.pk]["carrier"] == "postal" and by_id[shipment.pk]["method"] == "standard"
        # The carrier's own tracking page, which notifications puts in the customer's email.
        assert by_id[shipment.pk]["tracking_url"] == (
            f"https://track.flowpost.example/parcels/{shipment.tracking_number}"
        )


def test_express_orders_go_with_the_courier(rate_table):
    for event in (order_confirmed(5, method="express"), inventory_adjusted(5, SPLIT[:1]), payment_processed(5)):
        deliver(event)
    [shipment] = Shipment.objects.filter(order_id=5)
    assert (shipment.method, shipment.carrier) == ("express", "courier")
    assert shipment.tracking_number.startswith("CX")


def test_every_handler_is_idempotent(paid_split_order):
    order_id = paid_split_order
    for event in (
        order_confirmed(order_id),
        inventory_adjusted(order_id, SPLIT),
        payment_processed(order_id),
        payment_processed(order_id),
    ):
        deliver(event)
    assert Shipment.objects.filter(order_id=order_id).count() == 2
    assert len(published("ShipmentCreated", order_id=order_id)) == 2
    assert OrderAllocation.objects.filter(order_id=order_id).count() == 2


def test_the_same_event_delivered_twice_has_one_effect(rate_table):
    paid = payment_processed(7)
    deliver(order_confirmed(7))
    deliver(paid)
    deliver(inventory_adjusted(7, SPLIT))
    deliver(paid)
    assert Shipment.objects.filter(order_id=7).count() == 2
    assert len(published("ShipmentCreated", order_id=7)) == 2


@pytest.mark.parametrize(
    "order",
    [
        ("paid", "reserved", "confirmed"),
        ("reserved", "paid", "confirmed"),
        ("paid", "confirmed", "reserved"),
        ("confirmed", "paid", "reserved"),
    ],
)
def test_shipments_appear_whatever_the_arrival_order(rate_table, order):
    events = {
        "confirmed": order_confirmed(8),
        "reserved": inventory_adjusted(8, SPLIT),
        "paid": payment_processed(8),
    }
    for name in order[:-1]:
        deliver(events[name])
        assert not Shipment.objects.filter(order_id=8).exists()
    deliver(events[order[-1]])
    assert Shipment.objects.filter(order_id=8).count() == 2


def test_failed_payment_ships_nothing(rate_table):
    for event in (order_confirmed(9), inventory_adjusted(9, SPLIT), payment_processed(9, status="failed")):
        deliver(event)
    assert not Shipment.objects.filter(order_id=9).exists()


def test_amendment_allocations_extend_the_order_before_payment(rate_table):
    deliver(order_confirmed(10))
    deliver(inventory_adjusted(10, SPLIT))
    deliver(inventory_adjusted(10, [("SKU-C", 3, "GB-NORTH", "GB"), ("SKU-A", 1, "US-EAST", "US")], amendment_id="a1"))
    deliver(inventory_adjusted(10, [("SKU-B", 1, "DE-CENTRAL", "DE")], reason="released", amendment_id="a1"))
    deliver(payment_processed(10))
    shipments = {s.warehouse_code: lines_of(s) for s in Shipment.objects.filter(order_id=10)}
    assert shipments == {"US-EAST": {"SKU-A": 3}, "GB-NORTH": {"SKU-C": 3}}


def test_a_redelivered_amendment_replaces_rather_than_doubles(rate_table):
    amendment = inventory_adjusted(11, [("SKU-A", 1, "US-EAST", "US")], amendment_id="a2")
    for event in (order_confirmed(11), inventory_adjusted(11, SPLIT), amendment, amendment, payment_processed(11)):
        deliver(event)
    assert lines_of(Shipment.objects.get(order_id=11, warehouse_code="US-EAST")) == {"SKU-A": 3}


def test_amendment_after_payment_updates_parcels_not_yet_dispatched(paid_split_order):
    deliver(inventory_adjusted(101, [("SKU-D", 1, "GB-NORTH", "GB")], amendment_id="a3"))
    deliver(inventory_adjusted(101, [("SKU-B", 1, "DE-CENTRAL", "DE")], reason="released", amendment_id="a3"))
    shipments = {s.warehouse_code: s for s in Shipment.objects.filter(order_id=101)}
    assert shipments["GB-NORTH"].status == "created" and lines_of(shipments["GB-NORTH"]) == {"SKU-D": 1}
    assert shipments["DE-CENTRAL"].status == "voided"
    assert len(published("ShipmentCreated", order_id=101)) == 3
    assert published("ShipmentVoided", shipment_id=shipments["DE-CENTRAL"].pk)


def test_released_reservation_before_payment_ships_nothing(rate_table):
    deliver(order_confirmed(12))
    deliver(inventory_adjusted(12, SPLIT))
    deliver(inventory_adjusted(12, [], reason="released"))
    deliver(payment_processed(12))
    assert not Shipment.objects.filter(order_id=12).exists()


def test_cancel_voids_shipments_not_yet_dispatched(paid_split_order):
    from flowmart.shipping import services

    us_east = Shipment.objects.get(order_id=101, warehouse_code="US-EAST")
    services.dispatch_shipment(us_east.pk)
    cancelled = order_cancelled(101)
    deliver(cancelled)
    deliver(cancelled)
    statuses = dict(Shipment.objects.filter(order_id=101).values_list("warehouse_code", "status"))
    assert statuses == {"US-EAST": "dispatched", "DE-CENTRAL": "voided"}
    voided = published("ShipmentVoided", order_id=101)
    assert [e["shipment_id"] for e in voided] == [Shipment.objects.get(order_id=101, warehouse_code="DE-CENTRAL").pk]


def test_payment_after_cancellation_ships_nothing(rate_table):
    for event in (order_confirmed(13), inventory_adjusted(13, SPLIT), order_cancelled(13), payment_processed(13)):
        deliver(event)
    assert not Shipment.objects.filter(order_id=13).exists()


def test_amended_lines_are_kept_in_the_projection(rate_table):
    from decimal import Decimal

    from flowmart.common.money import Money
    from flowmart.contracts.common import SkuQuantity
    from flowmart.contracts.orders import OrderAmended
    from flowmart.shipping.models import ShippingOrder

    deliver(order_confirmed(14))
    amended = OrderAmended(
        order_id=14,
        amendment_id="a4",
        changes=(SkuQuantity(sku="SKU-B", quantity=-1),),
        lines=order_confirmed(14, lines=(("SKU-A", 2),)).lines,
        old_total=Money(Decimal("30"), "USD"),
        new_total=Money(Decimal("20"), "USD"),
    )
    deliver(amended)
    deliver(amended)
    order = ShippingOrder.objects.get(order_id=14)
    assert order.lines == [{"sku": "SKU-A", "quantity": 2}]
    assert order.shipping_address["country"] == "US" and order.shipping_method == "standard"
