"""Built-in carriers with no network: rates come from the database rate table, tracking
numbers are random, labels are real PDFs (a parcel's is drawn on its first download, a
return's when it is issued). Their tracking updates arrive through the same signed webhook
a real carrier would call."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import quote

from flowmart.contracts.common import address_lines
from flowmart.shipping import selectors
from flowmart.shipping.models import Return, Shipment

from .base import Label, Quote
from .labels import render_label


@dataclass(frozen=True)
class SimulatedCarrier:
    code: str
    name: str
    service: str
    shipment_prefix: str
    return_prefix: str
    tracking_site: str  # the simulated carrier's public tracking page (an .example domain: nobody's)
    hex_tracking: bool = False  # couriers use long alphanumeric numbers, posts digits + origin country

    def quote(self, country: str, weight_grams: int) -> Quote | None:
        """The cheapest quote among the active methods this carrier serves."""
        quotes = []
        for method in selectors.active_methods(carrier=self.code):
            price = selectors.quote(method, country, weight_grams)
            if price is not None:
                quotes.append(Quote(price=price, estimated_days=method.estimated_days))
        return min(quotes, key=lambda q: (q.price.amount, q.estimated_days), default=None)

    def create_shipment(self, shipment: Shipment, lines: dict[str, int] | None = None) -> Label:
        """Only the tracking number: the PDF is drawn on first download (draw_label)."""
        return Label(tracking_number=self._tracking_number(self.shipment_prefix, shipment.warehouse_country), pdf=None)

    def draw_label(self, shipment: Shipment) -> bytes:
        """Everything on the label was saved with the shipment, so drawing it later prints
        what drawing it at booking would have printed."""
        return render_label(
            carrier_name=self.name,
            service=self.service,
            tracking_number=shipment.tracking_number,
            sender=[f"FlowMart fulfilment {shipment.warehouse_code}", shipment.warehouse_country],
            recipient=address_lines(shipment.destination),
            reference=f"Order {shipment.order_id} · from {shipment.warehouse_code} · {shipment.method}",
        )

    def track(self, tracking_number: str) -> str:
        """Our simulated network knows exactly what its webhooks told us."""
        status = selectors.parcel_status(tracking_number)
        if status is None:
            raise LookupError(f"{self.code} knows no parcel {tracking_number}")
        return status

    def tracking_url(self, tracking_number: str) -> str:
        return f"{self.tracking_site}{quote(tracking_number)}"

    def create_return_label(self, ret: Return) -> Label:
        tracking_number = self._tracking_number(self.return_prefix, ret.sender_address.get("country", ""))
        pdf = render_label(
            carrier_name=self.name,
            service=f"{self.service} · prepaid return",
            tracking_number=tracking_number,
            sender=address_lines(ret.sender_address),
            recipient=[f"FlowMart returns, {ret.warehouse_code or 'fulfilment'}"],
            reference=f"Return {ret.return_id} · order {ret.order_id}",
        )
        return Label(tracking_number=tracking_number, pdf=pdf)

    def _tracking_number(self, prefix: str, country: str) -> str:
        if self.hex_tracking:
            return f"{prefix}{secrets.token_hex(8).upper()}"
        digits = "".join(secrets.choice("0123456789") for _ in range(12))
        return f"{prefix}{digits}{(country or 'XX').upper()[:2]}"
