"""Inventory's dashboard panel: SKUs at or under their low-stock threshold (operations: all;
seller staff: their sellers'), the lowest first, at most ten."""

from django.db.models import F
from django.urls import reverse

from flowmart.common.dashboard import OPERATIONS, SELLER, register

from . import selectors
from .models import StockLevel

SHOWN = 10


def _low(levels) -> dict:
    low = (
        levels.annotate(left=F("on_hand") - F("reserved"))
        .filter(left__lte=F("low_stock_threshold"))
        .select_related("warehouse")
        .order_by("left", "sku")[:SHOWN]
    )
    url = reverse("admin:inventory_stocklevel_changelist")
    rows = [(f"{s.sku} @ {s.warehouse.code}", s.left, f"{url}{s.pk}/change/") for s in low]
    return {"rows": rows, "note": "" if rows else "Nothing is running low.", "tone": "warn" if rows else ""}


@register("Low-stock SKUs", OPERATIONS, order=50)
def low_stock(request) -> dict:
    return _low(StockLevel.objects.all())


@register("Low stock", SELLER, order=30)
def seller_low_stock(request) -> dict:
    return _low(StockLevel.objects.filter(sku__in=selectors.staff_scope(request.user).skus()))
