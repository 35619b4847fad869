"""The admin index is a dashboard per role, and its queries do not grow with the data."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flowmart.inventory.models import StockLevel
from flowmart.orders.models import Order, OrderTimelineEntry

from .conftest import order_with

pytestmark = pytest.mark.django_db

OPERATIONS_PANELS = [
    "Orders today by status",
    "Checkout → paid, last hour",
    "Fraud review queue",
    "Failed payments by code, last 24 h",
    "Low-stock SKUs",
    "Outbox",
]
SELLER_PANELS = ["Sales per day, last 30 days", "Orders to ship", "Low stock"]


def more_orders(shop, n: int, start: int = 0):
    now = timezone.now()
    for i in range(start, start + n):
        order = order_with(
            f"FM-X{i}", [("NORTH-1", shop.sellers["north"].id, 1), ("ACME-1", shop.sellers["acme"].id, 1)]
        )
        Order.objects.filter(pk=order.pk).update(created_at=now - timedelta(days=i % 30, minutes=5))
        OrderTimelineEntry.objects.create(order=order, event="paid: payment succeeded", at=now - timedelta(minutes=1))


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/admin/").status_code == 200
    return len(captured)


def test_operations_see_their_dashboard_and_its_queries_are_bounded(shop):
    more_orders(shop, 3)
    page = shop.ops.get("/admin/").content.decode()
    for title in OPERATIONS_PANELS:
        assert title in page
    assert "p95" in page and "Sales per day" not in page
    few = queries(shop.ops)
    more_orders(shop, 40, start=3)
    StockLevel.objects.update(low_stock_threshold=50)  # every SKU is low now: still ten rows at most
    assert queries(shop.ops) == few


def test_a_seller_sees_their_sales_parcels_and_low_stock_only(shop):
    more_orders(shop, 5)
    StockLevel.objects.update(low_stock_threshold=50)
    page = shop.north.get("/admin/").content.decode()
    for title in SELLER_PANELS:
        assert title in page
    assert "Orders today by status" not in page and "Fraud review queue" not in page
    assert page.count('<rect x="') == 30  # one bar a day
    assert "€70.00 in 30 days" in page  # FM-N and FM-M (10.00 EUR each) and five more north lines
    assert "NORTH-1 @ US-EAST" in page and "ACME-1 @" not in page
    assert f"order {shop.shipments['north'].order_id} · US-EAST" in page
    assert f"order {shop.shipments['acme'].order_id} · US-EAST" not in page
    few = queries(shop.north)
    more_orders(shop, 40, start=5)
    assert queries(shop.north) == few


def test_the_sidebar_follows_the_role(shop):
    seller = shop.north.get("/admin/").content.decode()
    ops = shop.ops.get("/admin/").content.decode()
    for screen in ("orders/orderline", "inventory/stocklevel", "shipping/shipment", "catalog/product"):
        assert f"/admin/{screen}/" in seller and f"/admin/{screen}/" in ops
    for screen in ("orders/order", "payments/paymentunderreview", "events/delivery", "customers/user"):
        assert f"/admin/{screen}/" not in seller and f"/admin/{screen}/" in ops
