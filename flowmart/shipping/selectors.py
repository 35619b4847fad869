"""Reads of the shipping context: rate lookups, the published rate snapshot, and the
order facts (allocations, shipped lines) that shipments and returns are built from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Case, Exists, OuterRef, Prefetch, QuerySet, Value, When

from flowmart.common.money import Money
from flowmart.common.roles import StaffScope
from flowmart.contracts.shipping import ShippingMethod as MethodContract
from flowmart.contracts.shipping import ShippingRate

from .models import (
    REST_OF_WORLD,
    OrderAllocation,
    Return,
    ReturnSku,
    SellerSku,
    SellerStaff,
    Shipment,
    ShipmentLine,
    ShippingMethod,
    ShippingOrder,
    TrackingEvent,
    Zone,
)

# --- Rates --------------------------------------------------------------------


def active_methods(carrier: str | None = None) -> list[ShippingMethod]:
    methods = ShippingMethod.objects.filter(active=True)
    if carrier is not None:
        methods = methods.filter(carrier=carrier)
    return list(methods)


def country_zones(zones: list[Zone] | None = None) -> tuple[dict[str, Zone], Zone | None]:
    """{country: zone} and the rest-of-world zone. Zones are few, so this reads them all
    (a JSON containment query would not run on the embedded SQLite default)."""
    zones = list(Zone.objects.all()) if zones is None else zones
    by_country: dict[str, Zone] = {}
    rest = None
    for zone in zones:
        for country in zone.countries:
            if country == REST_OF_WORLD:
                rest = rest or zone
            else:
                by_country.setdefault(country.upper(), zone)
    return by_country, rest


def zone_for(country: str) -> Zone | None:
    by_country, rest = country_zones()
    return by_country.get((country or "").upper(), rest)


def quote(method: ShippingMethod, country: str, weight_grams: int) -> Money | None:
    """The price of the smallest weight band that takes the parcel, in the destination's
    zone; None when the method does not serve that zone or the parcel is too heavy. A band
    priced in several currencies answers in the shop's default one when it has it."""
    zone = zone_for(country)
    if zone is None:
        return None
    default_first = Case(When(price_currency=settings.DEFAULT_CURRENCY, then=Value(0)), default=Value(1))
    rate = (
        method.rates.filter(zone=zone, max_weight_grams__gte=max(weight_grams, 0))
        .order_by("max_weight_grams", default_first, "price_currency")
        .first()
    )
    return rate.price if rate else None


def quote_methods(country: str, weight_grams: int) -> list[tuple[ShippingMethod, Money]]:
    """Every active method that can carry the parcel there, with its price."""
    quotes = []
    for method in active_methods():
        price = quote(method, country, weight_grams)
        if price is not None:
            quotes.append((method, price))
    return quotes


def rate_table_snapshot() -> tuple[MethodContract, ...]:
    """The active methods with their rates flattened per country ("*" = rest of world),
    as ShippingRatesPublished carries them."""
    zones = list(Zone.objects.all())
    by_country, rest = country_zones(zones)
    countries_of: dict[int, list[str]] = defaultdict(list)
    for country, zone in sorted(by_country.items()):
        countries_of[zone.pk].append(country)
    if rest is not None:
        countries_of[rest.pk].append(REST_OF_WORLD)
    methods = []
    for method in ShippingMethod.objects.filter(active=True).prefetch_related("rates"):
        rates = [
            ShippingRate(country=country, max_weight_grams=rate.max_weight_grams, price=rate.price)
            for rate in method.rates.all()
            for country in countries_of.get(rate.zone_id, ())
        ]
        rates.sort(key=lambda r: (r.country == REST_OF_WORLD, r.country, r.max_weight_grams))
        methods.append(
            MethodContract(
                code=method.code,
                name=method.name,
                carrier=method.carrier,
                estimated_days=method.estimated_days,
                rates=tuple(rates),
            )
        )
    return tuple(methods)


# --- Orders, shipments, returns ---------------------------------------------------


def allocations_by_warehouse(order_id: int) -> dict[str, dict]:
    """{warehouse_code: {"country": ..., "lines": {sku: quantity}}} from the allocation projection."""
    return by_warehouse(OrderAllocation.objects.filter(order_id=order_id).order_by("id"))


def by_warehouse(allocations: Iterable[OrderAllocation]) -> dict[str, dict]:
    """Allocations (in the order they were made) grouped as allocations_by_warehouse returns them."""
    result: dict[str, dict] = {}
    for alloc in allocations:
        entry = result.setdefault(alloc.warehouse_code, {"country": alloc.warehouse_country, "lines": {}})
        entry["lines"][alloc.sku] = entry["lines"].get(alloc.sku, 0) + alloc.quantity
    return {code: entry for code, entry in result.items() if any(entry["lines"].values())}


def shipments_for_order(order_id: int):
    return Shipment.objects.filter(order_id=order_id).prefetch_related("lines").order_by("id")


def shipped_quantities(order_id: int) -> list[tuple[str, str, int]]:
    """(sku, warehouse_code, quantity) of every parcel that left for the customer."""
    shipped = shipments_for_order(order_id).exclude(status__in=[Shipment.Status.CREATED, Shipment.Status.VOIDED])
    return [(line.sku, shipment.warehouse_code, line.quantity) for shipment in shipped for line in shipment.lines.all()]


def returned_quantities(order_id: int) -> dict[tuple[str, str], int]:
    """{(sku, warehouse_code): quantity} already received back for the order."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for ret in Return.objects.filter(order_id=order_id, status=Return.Status.RECEIVED):
        for line in ret.received_lines:
            totals[(line["sku"], line["warehouse_code"])] += line["quantity"]
    return totals


def parcel_status(tracking_number: str) -> str | None:
    shipment = Shipment.objects.filter(tracking_number=tracking_number).only("status").first()
    if shipment is not None:
        return shipment.status
    ret = Return.objects.filter(tracking_number=tracking_number).only("status").first()
    return ret.status if ret is not None else None


# --- What each staff user may see ---------------------------------------------------


def staff_scope(user) -> StaffScope:
    return StaffScope(user, SellerStaff, SellerSku)


def shipments_for_staff(scope: StaffScope) -> QuerySet[Shipment]:
    """Operations: every shipment. Seller staff: the shipments holding at least one of their
    SKUs, with only those lines (another seller's goods in the same parcel stay hidden)."""
    shipments, lines = Shipment.objects.all(), ShipmentLine.objects.all()
    if not scope.everything:
        skus = scope.skus()
        shipments = shipments.filter(Exists(ShipmentLine.objects.filter(shipment=OuterRef("pk"), sku__in=skus)))
        lines = lines.filter(sku__in=skus)
    return shipments.prefetch_related(Prefetch("lines", queryset=lines), "tracking_events")


def shipment_skus(shipment_id: int) -> set[str]:
    """Every SKU in the parcel, whoever may see it."""
    return set(ShipmentLine.objects.filter(shipment_id=shipment_id).values_list("sku", flat=True))


def returns_for_staff(scope: StaffScope) -> QuerySet[Return]:
    """Operations: every return. Seller staff: the returns holding at least one of their SKUs."""
    returns = Return.objects.all()
    if not scope.everything:
        returns = returns.filter(Exists(ReturnSku.objects.filter(ret=OuterRef("pk"), sku__in=scope.skus())))
    return returns


def shipment_of_customer(customer_id: int, pk: int) -> Shipment | None:
    """The customer's own shipment (through shipping's copy of the order's owner), with the
    tracking updates that were applied; another customer's is simply not found."""
    owned = ShippingOrder.objects.filter(customer_id=customer_id).values("order_id")
    applied = TrackingEvent.objects.filter(applied=True).order_by("occurred_at", "id")
    return (
        Shipment.objects.filter(pk=pk, order_id__in=owned)
        .prefetch_related("lines", Prefetch("tracking_events", queryset=applied))
        .first()
    )
