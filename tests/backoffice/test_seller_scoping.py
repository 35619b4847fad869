"""A seller's staff see and touch only their own sellers' rows, on every admin screen and
through every door: changelists (with search and filters), change/delete/history URLs,
foreign-key choices, bulk actions with foreign ids, autocomplete. Two sellers try each."""

import pytest

from flowmart.catalog.models import Product
from flowmart.inventory.models import Reservation, StockLevel, StockMovement
from flowmart.shipping.models import Shipment

pytestmark = pytest.mark.django_db


def objects(shop, seller):
    """Per admin screen: (path, the seller's own object, a text that names it)."""
    sku = {"north": "NORTH-1", "acme": "ACME-1"}[seller]
    product = shop.products[seller]
    return {
        "catalog/product": (product.pk, product.name),
        "catalog/variant": (product.variants.get(sku=sku).pk, sku),
        "inventory/stocklevel": (StockLevel.objects.get(sku=sku).pk, sku),
        "inventory/stockmovement": (StockMovement.objects.filter(sku=sku).first().pk, sku),
        "inventory/reservation": (Reservation.objects.filter(sku=sku).first().pk, sku),
        "shipping/shipment": (shop.shipments[seller].pk, shop.shipments[seller].tracking_number),
        "shipping/return": (shop.returns[seller].pk, shop.returns[seller].return_id),
        "orders/orderline": (shop.orders[seller].lines.get().pk, shop.orders[seller].number),
    }


SCREENS = [
    "catalog/product",
    "catalog/variant",
    "inventory/stocklevel",
    "inventory/stockmovement",
    "inventory/reservation",
    "shipping/shipment",
    "shipping/return",
    "orders/orderline",
]


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("me,them", [("north", "acme"), ("acme", "north")])
def test_each_seller_lists_only_their_own(shop, screen, me, them):
    client = getattr(shop, me)
    mine, theirs = objects(shop, me)[screen], objects(shop, them)[screen]
    page = client.get(f"/admin/{screen}/")
    assert page.status_code == 200
    assert mine[1] in page.content.decode() and theirs[1] not in page.content.decode()
    searched = client.get(f"/admin/{screen}/", {"q": theirs[1]}).content.decode()
    assert f"/admin/{screen}/{theirs[0]}/change/" not in searched


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("suffix", ["change/", "delete/", "history/"])
def test_another_sellers_object_is_404_by_url(shop, screen, suffix):
    theirs = objects(shop, "acme")[screen][0]
    assert shop.north.get(f"/admin/{screen}/{theirs}/{suffix}").status_code == 404
    if suffix != "delete/":  # nothing is deleted from the admin; operations see every object
        assert shop.ops.get(f"/admin/{screen}/{theirs}/{suffix}").status_code == 200


@pytest.mark.parametrize("screen", SCREENS)
def test_their_own_objects_open(shop, screen):
    mine = objects(shop, "north")[screen][0]
    assert shop.north.get(f"/admin/{screen}/{mine}/change/").status_code == 200


def test_the_mixed_order_shows_a_seller_only_their_lines(shop):
    page = shop.north.get("/admin/orders/orderline/").content.decode()
    assert "NORTH-2" in page and "FM-M" in page and "ACME-1" not in page
    assert "France" in page  # ship-to country by name


def test_a_mixed_parcel_shows_only_their_lines(shop):
    mixed = shop.shipments["mixed"]
    page = shop.north.get(f"/admin/shipping/shipment/{mixed.pk}/change/").content.decode()
    assert "NORTH-2" in page and "ACME-1" not in page


def test_bulk_actions_with_foreign_ids_change_nothing(shop):
    acme_product, acme_parcel = shop.products["acme"], shop.shipments["acme"]
    shop.north.post("/admin/catalog/product/", {"action": "retire", "_selected_action": [acme_product.pk]})
    assert Product.objects.get(pk=acme_product.pk).active
    shop.north.post("/admin/shipping/shipment/", {"action": "dispatch", "_selected_action": [acme_parcel.pk]})
    assert Shipment.objects.get(pk=acme_parcel.pk).status == "created"
    own = shop.shipments["north"]
    shop.north.post("/admin/shipping/shipment/", {"action": "dispatch", "_selected_action": [own.pk]})
    assert Shipment.objects.get(pk=own.pk).status == "dispatched"  # their own: it works


def test_foreign_key_choices_and_autocomplete_hold_only_their_own(shop):
    add = shop.north.get("/admin/catalog/product/add/").content.decode()
    assert "North" in add and "Acme" not in add
    found = shop.north.get(
        "/admin/autocomplete/",
        {"app_label": "catalog", "model_name": "variant", "field_name": "product", "term": "goods"},
    ).json()
    assert [r["text"] for r in found["results"]] == ["north goods"]


def test_stock_of_another_sellers_sku_cannot_be_received(shop):
    form = {"sku": "ACME-1", "warehouse": StockLevel.objects.first().warehouse_id, "low_stock_threshold": 5}
    response = shop.north.post("/admin/inventory/stocklevel/add/", {**form, "receive_quantity": 3})
    assert response.status_code == 200 and "Not one of your sellers" in response.content.decode()
    assert StockLevel.objects.get(sku="ACME-1").on_hand == 20


def test_receiving_and_adjusting_their_stock_is_a_ledger_line_with_a_reason(shop):
    level = StockLevel.objects.get(sku="NORTH-2")
    url = f"/admin/inventory/stocklevel/{level.pk}/change/"
    form = {"low_stock_threshold": 5, "adjust_quantity": -2, "reason": "water damage"}
    assert shop.north.post(url, form).status_code == 302
    assert StockLevel.objects.get(pk=level.pk).on_hand == 18
    last = StockMovement.objects.filter(sku="NORTH-2").latest("id")
    assert (last.on_hand_delta, last.reason, last.reference) == (-2, "water damage", f"user:{shop.staff['north'].pk}")
    page = shop.north.get(url).content.decode()
    assert "water damage" in page  # the ledger on the stock page


def test_seller_staff_do_not_see_orders_payments_or_customers(shop):
    for path in ("orders/order", "payments/payment", "customers/user", "events/outboxevent", "inventory/warehouse"):
        assert shop.north.get(f"/admin/{path}/").status_code == 403
    index = shop.north.get("/admin/").content.decode()
    assert "Order lines" in index and "Stock levels" in index and "Shipments" in index


def test_an_order_line_shows_only_the_parcels_holding_it(shop):
    from flowmart.orders.models import OrderShipment

    mixed = shop.orders["mixed"]
    OrderShipment.objects.create(
        order=mixed, shipment_id=901, status="created", tracking_number="TRK-N", skus=["NORTH-2"]
    )
    OrderShipment.objects.create(
        order=mixed, shipment_id=902, status="created", tracking_number="TRK-A", skus=["ACME-1"]
    )
    line = mixed.lines.get(sku="NORTH-2")
    page = shop.north.get(f"/admin/orders/orderline/{line.pk}/change/").content.decode()
    assert "TRK-N" in page and "TRK-A" not in page
