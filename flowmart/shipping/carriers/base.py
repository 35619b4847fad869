"""The one protocol every carrier adapter speaks. The simulated carriers implement it
today; a real carrier's API client is a drop-in that registers under its own code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from flowmart.common.money import Money

if TYPE_CHECKING:
    from flowmart.shipping.models import Return, Shipment


@dataclass(frozen=True)
class Quote:
    price: Money
    estimated_days: int


@dataclass(frozen=True)
class Label:
    """What a carrier hands back for a parcel: its tracking number and the printable label.
    `pdf` None: the carrier draws the label later, on first download (DrawsLabels)."""

    tracking_number: str
    pdf: bytes | None


class UnknownCarrier(LookupError):
    pass


@runtime_checkable
class Carrier(Protocol):
    code: str
    name: str

    def quote(self, country: str, weight_grams: int) -> Quote | None:
        """Price and days to send weight_grams to country, or None when not served."""

    def create_shipment(self, shipment: Shipment, lines: dict[str, int] | None = None) -> Label:
        """Book the parcel ({sku: quantity} in it) with the carrier; the shipment is not saved yet."""

    def track(self, tracking_number: str) -> str:
        """The carrier's current status of a parcel (a Shipment.Status value)."""

    def tracking_url(self, tracking_number: str) -> str:
        """The carrier's public page where the customer follows the parcel."""

    def create_return_label(self, ret: Return) -> Label:
        """A prepaid label for the customer to send ret back to its warehouse."""


@runtime_checkable
class DrawsLabels(Protocol):
    """A carrier whose create_shipment books the parcel without its PDF (Label.pdf None):
    drawing the label is left to the first download, out of the checkout saga."""

    def draw_label(self, shipment: Shipment) -> bytes:
        """The printable label of a booked shipment, from its saved fields alone."""
