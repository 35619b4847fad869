"""Sale and deal prices in carts and orders, and the lightning-deal claims of checkout.

Pricing rule (docs/promotions.md): a live lightning deal on a SKU sets its price (deal units
only, see `claim_deals`); otherwise the best live catalogue sale (lowest price wins); otherwise
the regular price. Windows are read against the clock at every read, so a sale starts and
ends to the second whatever the beat job did.

Deal rule: while a deal is live, its SKU sells only as deal units. Checkout claims them with
one conditional UPDATE in its own transaction; when fewer are left than a line needs it
answers 409 `deal_sold_out` (with the `sku` and the units `available`), nothing written and
nothing charged. Units come back when the order is cancelled or expires (release_deals)."""

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from flowmart.common.errors import Conflict
from flowmart.common.money import Money
from flowmart.contracts.promotions import (
    DealUnitsClaimed,
    DealUnitsReleased,
    LightningDealChanged,
    SkuSalesChanged,
    best_sale,
    offer_from_dict,
    offer_to_dict,
)
from flowmart.events import publish

from .promotion_models import DealClaim, DealStock, SkuSaleOffers

logger = logging.getLogger("flowmart.orders")


@dataclass(frozen=True)
class UnitPrice:
    price: Money  # what the customer pays per unit
    original: Money  # the regular price
    sale: dict | None = None  # what set `price`, None: the regular price
    deal_id: int | None = None

    @property
    def original_if_reduced(self) -> Money | None:
        return self.original if self.sale is not None else None


def unit_prices(variants, moment=None) -> dict[str, UnitPrice]:
    """{sku: UnitPrice} for these SellableVariants, in two queries whatever their number."""
    moment = moment or timezone.now()
    variants = {v.sku: v for v in variants}
    offers, live = {}, []
    for sku, sku_offers, sku_deals in SkuSaleOffers.objects.filter(sku__in=variants).values_list(
        "sku", "offers", "deals"
    ):
        offers[sku] = sku_offers
        live += [d["deal_id"] for d in sku_deals if d["active"] and _within(d, moment)]
    deals = {}
    for deal in DealStock.objects.filter(pk__in=live).order_by("price_amount", "deal_id") if live else ():
        deals.setdefault(deal.sku, deal)
    prices = {}
    for sku, variant in variants.items():
        regular = variant.price
        deal = deals.get(sku)
        if deal is not None and deal.currency == regular.currency:
            prices[sku] = UnitPrice(deal.price, regular, deal_summary(deal), deal.deal_id)
            continue
        best = best_sale([offer_from_dict(o) for o in offers.get(sku, ())], regular, moment)
        if best is None:
            prices[sku] = UnitPrice(regular, regular)
        else:
            offer, price = best
            sale = {"kind": "sale", "id": offer.sale_id, "name": offer.sale_name, "ends_at": offer.ends_at.isoformat()}
            prices[sku] = UnitPrice(price, regular, sale)
    return prices


def _within(window: dict, moment) -> bool:
    return parse_datetime(window["starts_at"]) <= moment < parse_datetime(window["ends_at"])


def deal_summary(deal: DealStock) -> dict:
    left = max(deal.units - deal.claimed, 0)
    return {
        "kind": "deal",
        "id": deal.deal_id,
        "name": "Lightning deal",
        "ends_at": deal.ends_at.isoformat(),
        "units": deal.units,
        "claimed": deal.claimed,
        "claimed_percent": min(100, deal.claimed * 100 // deal.units) if deal.units else 100,
        "sold_out": left == 0,
    }


def price_items(items) -> list:
    """Set `unit_price`, `original_unit_price` and `sale` on cart items (and return them)."""
    prices = unit_prices([item.variant for item in items])
    for item in items:
        found = prices[item.variant_id]
        item.unit_price, item.original_unit_price, item.sale, item.deal_id = (
            found.price,
            found.original_if_reduced,
            found.sale,
            found.deal_id,
        )
    return items


def line_fields(item) -> dict:
    """LineSpec's promotion fields for a priced cart item (the order line keeps which sale or
    deal it was, not the deal's live counters)."""
    sale = None if item.sale is None else {k: item.sale[k] for k in ("kind", "id", "name", "ends_at")}
    return {"unit_price": item.unit_price, "original_unit_price": item.original_unit_price, "sale": sale}


# --- claims -------------------------------------------------------------------------------------
_CLAIM = """
UPDATE orders_dealstock SET claimed = claimed + %s
WHERE deal_id = %s AND active AND starts_at <= %s AND ends_at > %s AND claimed + %s <= units
RETURNING claimed, units
"""
_RELEASE = "UPDATE orders_dealstock SET claimed = claimed - %s WHERE deal_id = %s RETURNING claimed, units"


def claim_deals(order, items) -> None:
    """Claim the deal units of an order's priced cart items, inside the checkout's transaction.
    Raises Conflict(deal_sold_out) when a deal has fewer units left than the line: the caller's
    transaction then rolls back the whole order. Deals are claimed in id order (no deadlock)."""
    moment = timezone.now()
    for item in sorted((i for i in items if i.deal_id is not None), key=lambda i: i.deal_id):
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM, [item.quantity, item.deal_id, moment, moment, item.quantity])
            row = cursor.fetchone()
        if row is None:
            deal = DealStock.objects.filter(pk=item.deal_id).first()
            left = max(deal.units - deal.claimed, 0) if deal else 0
            raise Conflict(
                f"The lightning deal on {item.variant_id} has {left} unit(s) left; nothing was charged.",
                code="deal_sold_out",
                sku=item.variant_id,
                available=left,
            )
        DealClaim.objects.create(deal_id=item.deal_id, order=order, quantity=item.quantity)
        publish(
            DealUnitsClaimed(
                deal_id=item.deal_id,
                sku=item.variant_id,
                order_id=order.pk,
                quantity=item.quantity,
                claimed=row[0],
                units=row[1],
            )
        )


@transaction.atomic
def release_deals(order_id: int, reason: str) -> int:
    """Give an order's deal units back, once: a claim is released only while released_at is empty."""
    released = 0
    for claim in DealClaim.objects.select_for_update().filter(order_id=order_id, released_at__isnull=True):
        claim.released_at = timezone.now()
        claim.save(update_fields=["released_at"])
        with connection.cursor() as cursor:
            cursor.execute(_RELEASE, [claim.quantity, claim.deal_id])
            claimed, units = cursor.fetchone()
        sku = DealStock.objects.filter(pk=claim.deal_id).values_list("sku", flat=True).first()
        publish(
            DealUnitsReleased(
                deal_id=claim.deal_id,
                sku=sku,
                order_id=order_id,
                quantity=claim.quantity,
                claimed=claimed,
                units=units,
                reason=reason,
            )
        )
        released += claim.quantity
    return released


# --- projections --------------------------------------------------------------------------------
@transaction.atomic
def apply_sales(ev: SkuSalesChanged) -> None:
    stored = _offers_row(ev.sku)
    if stored.as_of is not None and stored.as_of > ev.occurred_at:
        return
    stored.offers, stored.as_of = [offer_to_dict(o) for o in ev.offers], ev.occurred_at
    stored.save(update_fields=["offers", "as_of"])


def _offers_row(sku: str) -> SkuSaleOffers:
    SkuSaleOffers.objects.get_or_create(sku=sku)
    return SkuSaleOffers.objects.select_for_update().get(sku=sku)


@transaction.atomic
def apply_deal(ev: LightningDealChanged) -> None:
    """Upsert the deal; `claimed` is ours and kept (units never drop below it: the CHECK)."""
    stored = DealStock.objects.select_for_update().filter(pk=ev.deal_id).first()
    if stored is not None and stored.as_of > ev.occurred_at:
        return
    claimed = stored.claimed if stored else 0
    DealStock.objects.update_or_create(
        deal_id=ev.deal_id,
        defaults={
            "sku": ev.sku,
            "price_amount": ev.price.amount,
            "currency": ev.price.currency,
            "units": max(ev.units, claimed),
            "starts_at": ev.starts_at,
            "ends_at": ev.ends_at,
            "active": ev.active,
            "as_of": ev.occurred_at,
        },
    )
    row = _offers_row(ev.sku)  # the deal's window beside the SKU's offers (see unit_prices)
    window = {"deal_id": ev.deal_id, "starts_at": ev.starts_at.isoformat(), "ends_at": ev.ends_at.isoformat()}
    row.deals = [d for d in row.deals if d["deal_id"] != ev.deal_id] + [{**window, "active": ev.active}]
    row.save(update_fields=["deals"])
