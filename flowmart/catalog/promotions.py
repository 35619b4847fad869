"""Sale and lightning-deal prices on the storefront, from the SkuPromotion projection.

The same rule as checkout (orders/promotions.py): a live lightning deal sets the price (shown
with its claimed %, even when sold out: checkout then answers 409 deal_sold_out until units
come back or the deal ends); otherwise the best live sale (lowest price wins); otherwise the
regular price. `price` stays "what you pay"; `original_price` is the regular price when reduced.
Windows are read against the clock, and a cached list page is kept no longer than the next
window edge of its products (`next_edge`, catalog/cache.py), so a sale starts and ends on the
storefront to the second."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from flowmart.common.money import Money
from flowmart.common.serializers import money_body
from flowmart.contracts.promotions import (
    DealUnitsClaimed,
    DealUnitsReleased,
    LightningDealChanged,
    SkuSalesChanged,
    best_sale,
    offer_from_dict,
    offer_to_dict,
)

from . import cache, currencies
from .models import SkuPromotion, Variant


def _live_deal(deals: list[dict], regular: Money, moment: datetime) -> dict | None:
    live = [
        d
        for d in deals
        if d["active"]
        and parse_datetime(d["starts_at"]) <= moment < parse_datetime(d["ends_at"])
        and d["price"]["currency"] == regular.currency
    ]
    return min(live, key=lambda d: (Money.from_dict(d["price"]).amount, d["deal_id"]), default=None)


def deal_view(deal: dict) -> dict:
    units, claimed = deal["units"], min(deal["claimed"], deal["units"])
    return {
        "id": deal["deal_id"],
        "price": deal["price"],
        "units": units,
        "claimed": claimed,
        "claimed_percent": claimed * 100 // units if units else 100,
        "sold_out": claimed >= units,
        "starts_at": deal["starts_at"],
        "ends_at": deal["ends_at"],
    }


def priced(regular: Money, row: SkuPromotion | None, moment: datetime) -> dict:
    """{"price", "original_price", "sale", "deal"} of one SKU (Money values, dicts for the rest)."""
    plain = {"price": regular, "original_price": None, "sale": None, "deal": None}
    if row is None:
        return plain
    deal = _live_deal(row.deals, regular, moment)
    if deal is not None:
        return {**plain, "price": Money.from_dict(deal["price"]), "original_price": regular, "deal": deal_view(deal)}
    best = best_sale([offer_from_dict(o) for o in row.offers], regular, moment)
    if best is None:
        return plain
    offer, price = best
    sale = {"id": offer.sale_id, "name": offer.sale_name, "ends_at": offer.ends_at.isoformat()}
    sale["percent_off"] = None if offer.percent_off is None else str(offer.percent_off)
    return {**plain, "price": price, "original_price": regular, "sale": sale}


def for_variants(variants) -> dict[str, dict]:
    """{sku: priced(...)} for catalogue Variants, in one query."""
    moment = timezone.now()
    rows = SkuPromotion.objects.in_bulk([v.sku for v in variants])
    return {v.sku: priced(v.price, rows.get(v.sku), moment) for v in variants}


@dataclass
class PagePromotions:
    """The promoted products of a list page: {product_id: priced(...)} of the cheapest variant
    to pay for, and how long that stays true (the next window edge of any of their SKUs)."""

    prices: dict[int, dict] = field(default_factory=dict)
    seconds_valid: float | None = None


def on_promotion() -> Exists:
    """Annotation for the list query: the product has a SKU with a sale or deal on record, so
    a page without any costs no query more."""
    promoted = SkuPromotion.objects.values("sku")
    return Exists(Variant.objects.filter(product=OuterRef("pk"), active=True, sku__in=promoted))


def for_products(product_ids, currency: str | None = None) -> PagePromotions:
    """PagePromotions for these products (those `on_promotion`): two queries, none without any.
    With a `currency` (the list's `?currency=`): from their prices in it (price lists)."""
    if not product_ids:
        return PagePromotions()
    variants = Variant.objects.filter(product_id__in=product_ids, active=True)
    if currency is None:
        variants = list(variants.only("sku", "product_id", "price_amount", "price_currency"))
    else:
        variants = list(currencies.priced_variants(currency, pk__in=variants.values("pk")))
        for v in variants:
            v.price_amount, v.price_currency = v.listed_price, currency
    rows = SkuPromotion.objects.in_bulk([v.sku for v in variants])
    moment = timezone.now()
    best: dict[int, tuple] = {}
    for v in variants:
        found = priced(v.price, rows.get(v.sku), moment)
        rank = (found["price"].amount, v.price_amount, v.pk)
        if v.product_id not in best or rank < best[v.product_id][0]:
            best[v.product_id] = (rank, found)
    edge = next_edge(rows.values(), moment)
    return PagePromotions(
        prices={pid: found for pid, (_, found) in best.items() if found["original_price"] is not None},
        seconds_valid=None if edge is None else (edge - moment).total_seconds(),
    )


def as_json(found: dict) -> dict:
    """`priced(...)` with its Money values as API objects."""
    original = found["original_price"]
    return {
        "price": money_body(found["price"]),
        "original_price": None if original is None else money_body(original),
        "sale": found["sale"],
        "deal": found["deal"],
    }


def next_edge(rows, moment: datetime) -> datetime | None:
    """The next instant a sale or deal of these SkuPromotion rows starts or ends (None: none)."""
    edges = []
    for row in rows:
        for window in [*row.offers, *row.deals]:
            edges += [parse_datetime(window["starts_at"]), parse_datetime(window["ends_at"])]
    return min((edge for edge in edges if edge > moment), default=None)


# --- projection ---------------------------------------------------------------------------------
def _row(sku: str) -> SkuPromotion:
    SkuPromotion.objects.get_or_create(sku=sku)
    return SkuPromotion.objects.select_for_update().get(sku=sku)


@transaction.atomic
def apply_sales(ev: SkuSalesChanged) -> None:
    row = _row(ev.sku)
    if row.offers_as_of is not None and row.offers_as_of > ev.occurred_at:
        return
    row.offers, row.offers_as_of = [offer_to_dict(o) for o in ev.offers], ev.occurred_at
    row.save(update_fields=["offers", "offers_as_of"])
    cache.invalidate_on_commit()


@transaction.atomic
def apply_deal(ev: LightningDealChanged) -> None:
    row = _row(ev.sku)
    kept = next((d for d in row.deals if d["deal_id"] == ev.deal_id), None)
    if kept is not None and parse_datetime(kept["as_of"]) > ev.occurred_at:
        return
    deal = {
        "deal_id": ev.deal_id,
        "price": ev.price.to_dict(),
        "units": ev.units,
        "claimed": kept["claimed"] if kept else 0,
        "claimed_as_of": kept["claimed_as_of"] if kept else None,
        "starts_at": ev.starts_at.isoformat(),
        "ends_at": ev.ends_at.isoformat(),
        "active": ev.active,
        "as_of": ev.occurred_at.isoformat(),
    }
    moment = timezone.now()
    row.deals = [d for d in row.deals if d["deal_id"] != ev.deal_id and parse_datetime(d["ends_at"]) > moment]
    row.deals.append(deal)
    row.save(update_fields=["deals"])
    cache.invalidate_on_commit()


@transaction.atomic
def apply_claimed(ev: DealUnitsClaimed | DealUnitsReleased) -> None:
    """The claimed % follows orders' running total; an older total never overwrites a newer."""
    row = _row(ev.sku)
    for deal in row.deals:
        seen = deal["claimed_as_of"] and parse_datetime(deal["claimed_as_of"])
        if deal["deal_id"] == ev.deal_id and not (seen and seen > ev.occurred_at):
            deal["claimed"], deal["claimed_as_of"] = ev.claimed, ev.occurred_at.isoformat()
            row.save(update_fields=["deals"])
            cache.invalidate_on_commit()
