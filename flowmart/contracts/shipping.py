"""Shipping events: shipment lifecycle, returns and the shipping rate table."""

from datetime import datetime

from flowmart.common.money import Money
from flowmart.events.base import Event, event, value

from .common import SkuQuantity


@value
class ShippingRate:
    country: str  # ISO alpha-2, or "*" for every other country
    max_weight_grams: int
    price: Money


@value
class ShippingMethod:
    code: str
    name: str
    carrier: str
    estimated_days: int
    rates: tuple[ShippingRate, ...]


@event
class ShippingRatesPublished(Event):
    """The whole method and rate table, sent on every change (a snapshot, so a late
    copy is recognised by its revision and ignored)."""

    revision: int
    methods: tuple[ShippingMethod, ...]


@event
class ShipmentCreated(Event):
    shipment_id: int
    order_id: int
    warehouse_code: str
    carrier: str
    method: str
    tracking_number: str
    lines: tuple[SkuQuantity, ...]
    tracking_url: str = ""  # the carrier's public tracking page for this parcel


@event
class ShipmentDispatched(Event):
    """The parcel left the warehouse: inventory consumes the reservation."""

    shipment_id: int
    order_id: int
    warehouse_code: str
    lines: tuple[SkuQuantity, ...]
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""


# The carrier's tracking updates: `location` is where it scanned the parcel and `at` when the
# carrier says it happened (None from publishers older than these fields: occurred_at then).
@event
class ShipmentInTransit(Event):
    shipment_id: int
    order_id: int
    location: str = ""
    at: datetime | None = None


@event
class ShipmentDelivered(Event):
    shipment_id: int
    order_id: int
    location: str = ""
    at: datetime | None = None


@event
class DeliveryFailed(Event):
    shipment_id: int
    order_id: int
    reason: str
    location: str = ""
    at: datetime | None = None


@event
class ShipmentVoided(Event):
    shipment_id: int
    order_id: int


@event
class ReturnInitiated(Event):
    return_id: str
    order_id: int
    lines: tuple[SkuQuantity, ...]
    reason: str
    carrier: str
    tracking_number: str
    label_url: str


@value
class ReturnedLine:
    sku: str
    quantity: int
    warehouse_code: str


@event
class ReturnReceived(Event):
    """Operations received the parcel: inventory restocks, orders asks for the refund."""

    return_id: str
    order_id: int
    lines: tuple[ReturnedLine, ...]
