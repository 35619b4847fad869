"""The order as GET /orders/{id}/ answers it (OrderSerializer's fields), written out by hand.

Clients poll this body until the order settles, so it is the web side's most frequent answer.
DRF's ModelSerializer builds its fields anew for every order, every line, parcel and return
(a quarter of a poll's CPU in bench/README.md's checkout profile); this builds the same dict
directly. OrderSerializer keeps the declared fields for the schema, and
tests/orders/test_order_body.py holds this body equal to the one DRF builds from them, so a
field added there and not here fails the suite.
"""

from rest_framework import serializers

from flowmart.common.money import Money
from flowmart.common.serializers import money_body

from .. import tax

# Unbound DRF fields used only for their value formats (ISO 8601 in UTC with "Z"; decimal strings).
_when = serializers.DateTimeField()
_rate = serializers.DecimalField(max_digits=6, decimal_places=4)
NEXT_ACTION_KEYS = ("type", "redirect_url", "client_secret")


def _text(value) -> str | None:
    return None if value is None else str(value)


def _at(value) -> str | None:
    return None if value is None else _when.to_representation(value)


def order_body(order) -> dict:
    """The order with its prefetched lines, parcels, timeline and returns (selectors.orders_of)."""
    currency = order.currency
    lines = order.lines.all()
    return {
        "id": order.id,
        "number": _text(order.number),
        "status": _text(order.status),
        "cancellation_reason": _text(order.cancellation_reason),
        "lines": [_line(line, currency) for line in lines],
        "totals": {name: money_body(value) for name, value in order.totals.items()},
        "shipping_address": order.shipping_address,
        "shipping_method": _text(order.shipping_method),
        "payment_status": _text(order.payment_status),
        "shipments": [_shipment(shipment) for shipment in order.shipments.all()],
        "timeline": [{"at": _at(entry.at), "event": _text(entry.event)} for entry in order.timeline.all()],
        "next_action": _next_action(order.next_action),
        "created_at": _at(order.created_at),
        "returns": [_return(ret, currency) for ret in order.returns.all()],
        "subscription_id": order.subscription_id,
        "currency": _text(currency),
        "tax_lines": tax.tax_lines_body(tax.order_tax_lines(order, lines)),
        "channel": _text(order.channel),
        "prices_include_tax": bool(order.prices_include_tax),
    }


def _money(amount, currency: str) -> dict:
    return money_body(Money(amount, currency))


def _line(line, currency: str) -> dict:
    return {
        "sku": _text(line.sku),
        "name": _text(line.name),
        "quantity": line.quantity,
        "unit_price": _money(line.unit_price, currency),
        "original_unit_price": None if line.original_unit_price is None else _money(line.original_unit_price, currency),
        "sale": line.sale,
        "line_total": _money(line.unit_price * line.quantity, currency),
        "seller": {"id": line.seller_id, "slug": line.seller_slug, "name": line.seller_name},
        "returned_quantity": line.returned_quantity,
        "tax": _money(line.tax, currency),
        "tax_rate": None if line.tax_rate is None else _rate.to_representation(line.tax_rate),
        "tax_name": _text(line.tax_name),
        "tax_class": _text(line.tax_class),
    }


def _shipment(shipment) -> dict:
    return {
        "id": shipment.shipment_id,
        "status": _text(shipment.status),
        "carrier": _text(shipment.carrier),
        "tracking_number": _text(shipment.tracking_number),
        "tracking_url": shipment.tracking_url or None,
        "warehouse": _text(shipment.warehouse),
        "tracking_events": [
            {"status": _text(step.status), "place": _text(step.place), "at": _at(step.at)}
            for step in shipment.tracking_events.all()
        ],
    }


def _next_action(action: dict | None) -> dict | None:
    """Only the keys API.md documents (as NextActionSerializer shows them)."""
    if action is None:
        return None
    return {key: _text(action[key]) for key in NEXT_ACTION_KEYS if key in action}


def _return(ret, currency: str) -> dict:
    return {
        "id": _text(ret.return_id),
        "status": _text(ret.status),
        "lines": ret.lines,
        "reason": _text(ret.reason),
        "tracking_number": _text(ret.tracking_number),
        "label_url": _text(ret.label_url),
        "refund": None if ret.refund_amount is None else _money(ret.refund_amount, currency),
    }
