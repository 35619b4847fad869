"""Returns logistics: a prepaid label when the customer asks (ReturnRequested), and the
warehouse receiving the parcel, which tells inventory where to restock each line."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from flowmart.common.errors import Conflict
from flowmart.contracts.common import SkuQuantity
from flowmart.contracts.orders import ReturnRequested
from flowmart.contracts.shipping import ReturnedLine, ReturnInitiated, ReturnReceived
from flowmart.events import publish
from flowmart.shipping import selectors
from flowmart.shipping.carriers import get_carrier
from flowmart.shipping.models import Return, ReturnSku, Shipment, ShippingMethod

from .fulfilment import DEFAULT_CARRIER, locked_order


def open_return(event: ReturnRequested) -> Return | None:
    """Create the return and its label once per return_id; a redelivery does nothing."""
    with transaction.atomic():
        locked_order(event.order_id)  # one return at a time per order
        if Return.objects.filter(return_id=event.return_id).exists():
            return None
        lines = [{"sku": line.sku, "quantity": line.quantity} for line in event.lines]
        ret = Return(
            return_id=event.return_id,
            order_id=event.order_id,
            lines=lines,
            reason=event.reason,
            sender_address=dataclasses.asdict(event.shipping_address),
            carrier=_return_carrier(event.order_id),
            warehouse_code=_home_warehouse(event.order_id, lines),
        )
        label = get_carrier(ret.carrier).create_return_label(ret)
        ret.tracking_number = label.tracking_number
        ret.label.save(f"{label.tracking_number}.pdf", ContentFile(label.pdf), save=False)
        ret.save()
        ReturnSku.objects.bulk_create(ReturnSku(ret=ret, sku=sku) for sku in sorted(ret.skus))
        publish(
            ReturnInitiated(
                return_id=ret.return_id,
                order_id=ret.order_id,
                lines=tuple(SkuQuantity(sku=line["sku"], quantity=line["quantity"]) for line in lines),
                reason=ret.reason,
                carrier=ret.carrier,
                tracking_number=ret.tracking_number,
                label_url=return_label_url(ret.return_id),
            )
        )
        return ret


def return_label_url(return_id: str) -> str:
    """Served through the API from whatever storage holds the PDF (see ReturnLabelView);
    the unguessable return id is the customer's key to it."""
    return reverse("shipping-return-label", kwargs={"return_id": return_id})


def receive_return(return_id: str) -> Return:
    """The parcel is back: each line is attributed to the warehouse it shipped from
    (less what earlier returns already brought back there). 409 on a second receive."""
    with transaction.atomic():
        order_id = Return.objects.values_list("order_id", flat=True).get(return_id=return_id)
        locked_order(order_id)  # order row first, as open_return does: serialises one order's returns
        ret = Return.objects.select_for_update().get(return_id=return_id)
        if ret.status != Return.Status.INITIATED:
            raise Conflict(f"Return {return_id} was already received.")
        received = _attribute_to_warehouses(ret)
        ret.status = Return.Status.RECEIVED
        ret.received_at = timezone.now()
        ret.received_lines = received
        ret.save(update_fields=["status", "received_at", "received_lines"])
        publish(
            ReturnReceived(
                return_id=ret.return_id,
                order_id=ret.order_id,
                lines=tuple(ReturnedLine(**line) for line in received),
            )
        )
        return ret


def _attribute_to_warehouses(ret: Return) -> list[dict]:
    """Split each returned line over the warehouses its SKU shipped from, in shipment
    order, counting only what earlier receipts have not already brought back."""
    returnable: dict[tuple[str, str], int] = defaultdict(int)
    for sku, warehouse, quantity in selectors.shipped_quantities(ret.order_id):
        returnable[(sku, warehouse)] += quantity
    for key, quantity in selectors.returned_quantities(ret.order_id).items():
        returnable[key] -= quantity
    received: dict[tuple[str, str], int] = defaultdict(int)
    for line in ret.lines:
        wanted = line["quantity"]
        for (sku, warehouse), left in returnable.items():
            if sku != line["sku"] or left <= 0 or wanted == 0:
                continue
            taken = min(left, wanted)
            returnable[(sku, warehouse)] -= taken
            received[(sku, warehouse)] += taken
            wanted -= taken
        if wanted:
            raise Conflict(f"Return {ret.return_id}: {wanted} × {line['sku']} were never shipped for this order.")
    return [{"sku": sku, "quantity": q, "warehouse_code": wh} for (sku, wh), q in received.items()]


def _return_carrier(order_id: int) -> str:
    shipment = selectors.shipments_for_order(order_id).exclude(status=Shipment.Status.VOIDED).first()
    if shipment is not None:
        return shipment.carrier
    method = ShippingMethod.objects.filter(code="standard").first()
    return method.carrier if method else DEFAULT_CARRIER


def _home_warehouse(order_id: int, lines: list[dict]) -> str:
    """Where the label sends the parcel: the warehouse the first returned line came from."""
    skus = {line["sku"] for line in lines}
    for sku, warehouse, _ in selectors.shipped_quantities(order_id):
        if sku in skus:
            return warehouse
    return ""
