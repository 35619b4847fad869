"""The shipping side of privacy (docs/privacy.md): the customer's parcels and returns in the
export; on erasure the destination, sender and order addresses lose everything but the
country, the email goes and the label PDFs (they print the address) are deleted. What was
shipped, from where, when and with which tracking number stays."""

from django.db import transaction

from flowmart.common import privacy

from .models import Return, Shipment, ShippingOrder


def _order_ids(customer_id: int) -> list[int]:
    return list(ShippingOrder.objects.filter(customer_id=customer_id).values_list("order_id", flat=True))


def export_customer(customer_id: int, email: str) -> dict:
    order_ids = _order_ids(customer_id)
    shipments = Shipment.objects.filter(order_id__in=order_ids).prefetch_related("lines", "tracking_events")
    return {
        "shipments": [
            {
                "id": s.id,
                "order_id": s.order_id,
                "status": s.status,
                "carrier": s.carrier,
                "tracking_number": s.tracking_number,
                "destination": s.destination,
                "created_at": s.created_at.isoformat(),
                "delivered_at": s.delivered_at.isoformat() if s.delivered_at else None,
                "lines": [{"sku": line.sku, "quantity": line.quantity} for line in s.lines.all()],
                "tracking": [
                    {"status": t.status, "at": t.occurred_at.isoformat(), "location": t.location}
                    for t in s.tracking_events.all()
                ],
            }
            for s in shipments.order_by("id")
        ],
        "returns": [
            {"return_id": r.return_id, "order_id": r.order_id, "status": r.status, "lines": r.lines, "reason": r.reason}
            for r in Return.objects.filter(order_id__in=order_ids).order_by("id")
        ],
    }


@transaction.atomic
def erase_customer(customer_id: int) -> None:
    """CustomerErased: anonymise this context's copies of the customer's addresses."""
    orders = ShippingOrder.objects.filter(customer_id=customer_id)
    order_ids = [order.order_id for order in orders]
    for order in orders:
        order.customer_email = privacy.erased_email(customer_id)
        order.shipping_address = privacy.anonymise_address(order.shipping_address)
        order.save(update_fields=["customer_email", "shipping_address"])
    for shipment in Shipment.objects.filter(order_id__in=order_ids):
        shipment.destination = privacy.anonymise_address(shipment.destination)
        if shipment.label:
            shipment.label.delete(save=False)
        shipment.save(update_fields=["destination", "label"])
    for parcel_return in Return.objects.filter(order_id__in=order_ids):
        parcel_return.sender_address = privacy.anonymise_address(parcel_return.sender_address)
        parcel_return.reason = privacy.ERASED_NAME if parcel_return.reason else ""
        parcel_return.save(update_fields=["sender_address", "reason"])
