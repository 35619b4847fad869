"""EasyPost, a real carrier API (USPS, UPS, FedEx, DHL, ... behind one account), through its
official SDK (`easypost`, EasyPostClient).

For every parcel: an EasyPost shipment (from the warehouse's address, to the customer, the
parcel's weight from shipping's copy of SKU weights), its rates, the one the shipping method
names bought (easypost_carrier/easypost_service, else the cheapest), and the PDF label fetched
from the URL EasyPost hands back. What the customer pays stays the rate table's price (orders
prices carts from it); what EasyPost charged is kept on CarrierParcel. Tracking arrives by
EasyPost's `tracker.updated` webhooks (api/easypost.py), verified with the SDK's HMAC check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

import easypost
import requests
from django.conf import settings

from flowmart.shipping import selectors
from flowmart.shipping.models import CarrierParcel, Return, Shipment, ShippingMethod, SkuWeight

from .base import Label, Quote

logger = logging.getLogger("flowmart.shipping")
GRAMS_PER_OUNCE = Decimal("28.349523125")

# EasyPost tracker statuses → ours (None: nothing to apply, e.g. the label is printed only).
STATUSES = {
    "pre_transit": None,
    "unknown": None,
    "cancelled": None,
    "in_transit": Shipment.Status.IN_TRANSIT,
    "out_for_delivery": Shipment.Status.IN_TRANSIT,
    "available_for_pickup": Shipment.Status.IN_TRANSIT,
    "delivered": Shipment.Status.DELIVERED,
    "return_to_sender": Shipment.Status.DELIVERY_FAILED,
    "failure": Shipment.Status.DELIVERY_FAILED,
    "error": Shipment.Status.DELIVERY_FAILED,
}


class NotConfigured(RuntimeError):
    """EASYPOST_API_KEY is not set: no label can be bought (nothing pretends to)."""


@dataclass(frozen=True)
class EasyPostRate:
    id: str
    carrier: str
    service: str
    amount: Decimal
    currency: str


def configured() -> bool:
    return bool(settings.EASYPOST["API_KEY"])


def client() -> easypost.EasyPostClient:
    config = settings.EASYPOST
    if not config["API_KEY"]:
        raise NotConfigured("EASYPOST_API_KEY is not set")
    options = {"timeout": config["TIMEOUT_SECONDS"]}
    if config["API_BASE"]:
        options["api_base"] = config["API_BASE"].rstrip("/")
    return easypost.EasyPostClient(config["API_KEY"], **options)


class EasyPostCarrier:
    code = "easypost"
    name = "EasyPost"

    def quote(self, country: str, weight_grams: int) -> Quote | None:
        """The rate-table price of the cheapest active EasyPost method (what the customer pays)."""
        quotes = []
        for method in selectors.active_methods(carrier=self.code):
            price = selectors.quote(method, country, weight_grams)
            if price is not None:
                quotes.append(Quote(price=price, estimated_days=method.estimated_days))
        return min(quotes, key=lambda q: (q.price.amount, q.estimated_days), default=None)

    def rates(self, shipment: Shipment, lines: dict[str, int]) -> tuple[str, list[EasyPostRate]]:
        """EasyPost's shipment for this parcel ({sku: quantity}) and its rates, cheapest first."""
        created = client().shipment.create(
            from_address=warehouse_address(shipment.warehouse_code, shipment.warehouse_country),
            to_address=customer_address(shipment.destination),
            parcel={"weight": ounces(sum(_weight(sku) * quantity for sku, quantity in lines.items()))},
            options={"label_format": "PDF"},
            reference=f"order-{shipment.order_id}-{shipment.warehouse_code}",
        )
        offered = [
            EasyPostRate(r.id, r.carrier, r.service, Decimal(str(r.rate)), r.currency) for r in created.rates or []
        ]
        return created.id, sorted(offered, key=lambda r: r.amount)

    def create_shipment(self, shipment: Shipment, lines: dict[str, int] | None = None) -> Label:
        method = ShippingMethod.objects.filter(code=shipment.method).first()
        shipment_id, offered = self.rates(shipment, lines or {})
        rate = choose(offered, method)
        return self._buy(shipment_id, rate)

    def create_return_label(self, ret: Return) -> Label:
        """A prepaid label from the customer back to the warehouse (EasyPost's is_return)."""
        created = client().shipment.create(
            from_address=customer_address(ret.sender_address),
            to_address=warehouse_address(ret.warehouse_code, ""),
            parcel={"weight": ounces(sum(_weight(line["sku"]) * int(line["quantity"]) for line in ret.lines))},
            options={"label_format": "PDF"},
            is_return=True,
            reference=f"return-{ret.return_id}",
        )
        offered = [
            EasyPostRate(r.id, r.carrier, r.service, Decimal(str(r.rate)), r.currency) for r in created.rates or []
        ]
        return self._buy(created.id, choose(sorted(offered, key=lambda r: r.amount), None))

    def _buy(self, shipment_id: str, rate: EasyPostRate) -> Label:
        bought = client().shipment.buy(shipment_id, rate={"id": rate.id})
        tracker = getattr(bought, "tracker", None)
        CarrierParcel.objects.update_or_create(
            tracking_number=bought.tracking_code,
            defaults={
                "carrier": self.code,
                "provider_shipment_id": bought.id,
                "provider_tracker_id": getattr(tracker, "id", "") or "",
                "service": f"{rate.carrier} {rate.service}",
                "rate_amount": rate.amount,
                "rate_currency": rate.currency,
                "public_url": getattr(tracker, "public_url", "") or "",
            },
        )
        return Label(tracking_number=bought.tracking_code, pdf=_download(bought.postage_label.label_url))

    def track(self, tracking_number: str) -> str:
        """Ask EasyPost for the parcel's tracker; a status with no meaning for us keeps ours."""
        parcel = CarrierParcel.objects.filter(carrier=self.code, tracking_number=tracking_number).first()
        if parcel is None or not parcel.provider_tracker_id:
            raise LookupError(f"easypost knows no parcel {tracking_number}")
        status = STATUSES.get(client().tracker.retrieve(parcel.provider_tracker_id).status)
        return status or selectors.parcel_status(tracking_number) or Shipment.Status.CREATED

    def tracking_url(self, tracking_number: str) -> str:
        parcel = CarrierParcel.objects.filter(carrier=self.code, tracking_number=tracking_number).first()
        return parcel.public_url if parcel else ""


def choose(offered: list[EasyPostRate], method: ShippingMethod | None) -> EasyPostRate:
    """The method's carrier/service (case-insensitive) among the offers, else the cheapest."""
    if not offered:
        raise LookupError("EasyPost offered no rate for this parcel")
    if method and (method.easypost_carrier or method.easypost_service):
        for rate in offered:
            if (not method.easypost_carrier or rate.carrier.lower() == method.easypost_carrier.lower()) and (
                not method.easypost_service or rate.service.lower() == method.easypost_service.lower()
            ):
                return rate
        raise LookupError(
            f"EasyPost offered no {method.easypost_carrier} {method.easypost_service} rate for method {method.code}"
        )
    return offered[0]


def _weight(sku: str) -> int:
    row = SkuWeight.objects.filter(sku=sku).first()
    return row.weight_grams if row else 0


def ounces(grams: int) -> float:
    """EasyPost weighs in ounces (one decimal); an unknown weight still ships as 1 oz."""
    return max(float(round(Decimal(grams) / GRAMS_PER_OUNCE, 1)), 1.0)


def warehouse_address(code: str, country: str) -> dict:
    known = settings.EASYPOST["FROM_ADDRESSES"].get(code)
    return dict(known) if known else {"company": f"FlowMart fulfilment {code}", "country": country or "US"}


def customer_address(address: dict) -> dict:
    address = address or {}
    return {
        "name": address.get("name", ""),
        "street1": address.get("line1", ""),
        "street2": address.get("line2", ""),
        "city": address.get("city", ""),
        "zip": address.get("postal_code", ""),
        "country": address.get("country", ""),
        "phone": address.get("phone", ""),
    }


def _download(url: str) -> bytes:
    response = requests.get(url, timeout=settings.EASYPOST["TIMEOUT_SECONDS"])
    response.raise_for_status()
    return response.content
