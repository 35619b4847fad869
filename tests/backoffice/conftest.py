"""Two sellers (north, acme) with their staff, products, stock, parcels, returns and order
lines, made through the services with the events delivered as after a commit, so every
context's projections (who works for which seller, which SKU is whose) are as in production."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import Client

from flowmart.catalog import services as catalog
from flowmart.common import roles
from flowmart.inventory import services as inventory
from flowmart.inventory.models import Reservation, Warehouse
from flowmart.orders.models import Order, OrderLine
from tests.catalog.factories import CategoryFactory, SellerFactory, variant
from tests.test_staff_endpoints import _paid_order, _return, rate_table  # noqa: F401 - fixtures and helpers

ADDRESS = {"name": "Ada", "line1": "1 Main St", "city": "Lyon", "postal_code": "69001", "country": "FR"}


@pytest.fixture(autouse=True)
def _labels_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def order_with(number: str, lines: list[tuple[str, int, int]]) -> Order:
    """An order row with lines (sku, seller_id, quantity), as checkout leaves it."""
    order = Order.objects.create(
        number=number, customer_id=99, customer_email="buyer@x.test", status="paid", payment_status="paid",
        currency="EUR", subtotal=Decimal("30"), shipping=Decimal("0"), tax=Decimal("0"), total=Decimal("30"),
        shipping_address=ADDRESS, shipping_method="standard", payment_provider="dummy",
    )  # fmt: skip
    for sku, seller_id, quantity in lines:
        OrderLine.objects.create(
            order=order, sku=sku, name=f"{sku} name", quantity=quantity, unit_price=Decimal("10"), seller_id=seller_id
        )
    return order


@pytest.fixture
def shop(django_capture_on_commit_callbacks, make_staff, rate_table):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        north, acme = SellerFactory(slug="north", name="North"), SellerFactory(slug="acme", name="Acme")
        category = CategoryFactory(slug="gear")
        products = {}
        for seller, skus in ((north, ["NORTH-1", "NORTH-2"]), (acme, ["ACME-1"])):
            products[seller.slug] = catalog.create_product(
                seller=seller, category=category, name=f"{seller.slug} goods", slug=f"{seller.slug}-goods",
                variants=[variant(sku=sku) for sku in skus],
            )  # fmt: skip
        staff = {}
        for seller in (north, acme):
            staff[seller.slug] = make_staff(roles.SELLER_STAFF, email=f"staff@{seller.slug}.test").user
            catalog.add_seller_member(seller, staff[seller.slug].id)
        inventory.create_warehouse(code="US-EAST", name="Newark", country="US", latitude="40.7", longitude="-74.2")
        for sku in ("NORTH-1", "NORTH-2", "ACME-1"):
            inventory.receive_stock(sku=sku, warehouse_code="US-EAST", quantity=20, reason="opening")
    shipments = {
        "north": _paid_order(1, {"NORTH-1": 1}, dispatched=False),
        "acme": _paid_order(2, {"ACME-1": 1}, dispatched=False),
        "mixed": _paid_order(3, {"NORTH-2": 1, "ACME-1": 1}, dispatched=False),
    }
    _paid_order(11, {"NORTH-1": 2}, dispatched=True)
    _paid_order(12, {"ACME-1": 2}, dispatched=True)
    returns = {"north": _return(11, {"NORTH-1": 1}), "acme": _return(12, {"ACME-1": 1})}
    warehouse = Warehouse.objects.get(code="US-EAST")
    for order_id, sku in ((21, "NORTH-1"), (22, "ACME-1")):  # a reservation row as inventory keeps it
        Reservation.objects.create(order_id=order_id, sku=sku, warehouse=warehouse, quantity=1)
    orders = {
        "north": order_with("FM-N", [("NORTH-1", north.id, 1)]),
        "acme": order_with("FM-A", [("ACME-1", acme.id, 1)]),
        "mixed": order_with("FM-M", [("NORTH-2", north.id, 1), ("ACME-1", acme.id, 2)]),
    }
    return SimpleNamespace(
        sellers={"north": north, "acme": acme},
        products=products,
        staff=staff,
        north=logged_in(staff["north"]),
        acme=logged_in(staff["acme"]),
        ops=logged_in(make_staff(email="ops@x.test").user),
        shipments=shipments,
        returns=returns,
        orders=orders,
    )
