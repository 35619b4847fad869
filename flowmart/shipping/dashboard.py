"""Shipping's dashboard panel for seller staff: parcels holding their goods, not yet dispatched."""

from django.db.models import Exists, OuterRef
from django.urls import reverse

from flowmart.common.dashboard import SELLER, register

from . import selectors
from .models import Shipment, ShipmentLine

SHOWN = 10


@register("Orders to ship", SELLER, order=20)
def to_ship(request) -> dict:
    skus = selectors.staff_scope(request.user).skus()
    waiting = Shipment.objects.filter(
        Exists(ShipmentLine.objects.filter(shipment=OuterRef("pk"), sku__in=skus)), status=Shipment.Status.CREATED
    )
    url = reverse("admin:shipping_shipment_changelist")
    rows = [
        (f"order {s.order_id} · {s.warehouse_code}", s.tracking_number, f"{url}{s.pk}/change/")
        for s in waiting.order_by("created_at")[:SHOWN]
    ]
    return {"rows": rows, "note": "" if rows else "Nothing waiting to be shipped."}
