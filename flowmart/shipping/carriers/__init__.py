"""Carrier adapters by code. A real carrier is added by registering another object that
speaks the Carrier protocol (see base.py)."""

from . import easypost
from .base import Carrier, DrawsLabels, Label, Quote, UnknownCarrier
from .easypost import EasyPostCarrier
from .simulated import SimulatedCarrier

CARRIERS: dict[str, Carrier] = {
    carrier.code: carrier
    for carrier in (
        SimulatedCarrier(
            code="postal",
            name="FlowPost",
            service="Standard parcel",
            shipment_prefix="PO",
            return_prefix="PR",
            tracking_site="https://track.flowpost.example/parcels/",
        ),
        SimulatedCarrier(
            code="courier",
            name="FlowExpress",
            service="Express courier",
            shipment_prefix="CX",
            return_prefix="CR",
            tracking_site="https://flowexpress.example/track/",
            hex_tracking=True,
        ),
        EasyPostCarrier(),  # real carriers through EasyPost; methods need EASYPOST_API_KEY
    )
}


def get_carrier(code: str) -> Carrier:
    try:
        return CARRIERS[code]
    except KeyError:
        raise UnknownCarrier(code) from None


def refusal(code: str) -> str | None:
    """Why a shipping method may not be served by carrier `code`, or None when it may.

    The one rule for the rate service and the admin form. It lives here, not in
    ShippingMethod.clean: the adapters read the rate table, so a model that imported them
    closed an import circle (models → carriers → selectors → models)."""
    if code not in CARRIERS:
        return f"unknown carrier {code!r}; known: {', '.join(CARRIERS)}"
    if code == "easypost" and not easypost.configured():
        return "easypost needs EASYPOST_API_KEY: without it no label could be bought."
    return None


__all__ = ["CARRIERS", "Carrier", "DrawsLabels", "Label", "Quote", "UnknownCarrier", "get_carrier", "refusal"]
