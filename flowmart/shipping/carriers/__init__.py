"""Carrier adapters by code. A real carrier is added by registering another object that
speaks the Carrier protocol (see base.py)."""

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


__all__ = ["CARRIERS", "Carrier", "DrawsLabels", "Label", "Quote", "UnknownCarrier", "get_carrier"]
