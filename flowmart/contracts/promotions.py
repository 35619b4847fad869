"""Promotions events: catalogue sales, lightning deals and vouchers.

Sales travel as rules (percent or amount off, with their window), not as computed prices:
catalog and orders keep the offers per SKU and apply them to their own copy of the regular
price at read time (`best_sale`), so a price change never races a sale price, and a window
opens and closes to the second without anyone having to be told.

Lightning deals travel whole (`LightningDealChanged`); the units claimed are counted by
orders, in the checkout's own transaction, and told by `DealUnitsClaimed`/`DealUnitsReleased`
(declared here, with the rest of the deal language, but published by orders).
"""

from datetime import datetime
from decimal import Decimal

from flowmart.common.money import Money
from flowmart.events.base import Event, event, value

HUNDRED = Decimal(100)


@value
class SaleOffer:
    """One running or scheduled catalogue sale on a SKU: `percent_off` (0-100) or `amount_off`."""

    sale_id: int
    sale_name: str
    starts_at: datetime
    ends_at: datetime
    percent_off: Decimal | None = None
    amount_off: Money | None = None

    def live_at(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at

    def price_of(self, regular: Money) -> Money:
        """The sale price for a regular price; never below zero, rounded to the minor unit."""
        if self.percent_off is not None:
            off = Money(regular.amount * self.percent_off / HUNDRED, regular.currency)
        elif self.amount_off is not None and self.amount_off.currency == regular.currency:
            off = self.amount_off
        else:  # an amount in another currency says nothing about this price
            return regular
        return regular - off if off < regular else Money.zero(regular.currency)


def best_sale(offers, regular: Money, moment: datetime) -> tuple[SaleOffer, Money] | None:
    """Overlapping sales on one SKU: the lowest price for the customer wins (ties: the
    sale ending first, then the lower id). None when no sale is live or none lowers it."""
    best = None
    for offer in offers:
        if not offer.live_at(moment):
            continue
        price = offer.price_of(regular)
        if price < regular and (best is None or (price.amount, offer.ends_at, offer.sale_id) < best[2]):
            best = (offer, price, (price.amount, offer.ends_at, offer.sale_id))
    return None if best is None else (best[0], best[1])


def offer_to_dict(offer: SaleOffer) -> dict:
    """A projection's stored form of an offer (JSON)."""
    return {
        "sale_id": offer.sale_id,
        "sale_name": offer.sale_name,
        "starts_at": offer.starts_at.isoformat(),
        "ends_at": offer.ends_at.isoformat(),
        "percent_off": None if offer.percent_off is None else str(offer.percent_off),
        "amount_off": None if offer.amount_off is None else offer.amount_off.to_dict(),
    }


def offer_from_dict(data: dict) -> SaleOffer:
    from django.utils.dateparse import parse_datetime

    return SaleOffer(
        sale_id=data["sale_id"],
        sale_name=data["sale_name"],
        starts_at=parse_datetime(data["starts_at"]),
        ends_at=parse_datetime(data["ends_at"]),
        percent_off=None if data["percent_off"] is None else Decimal(data["percent_off"]),
        amount_off=None if data["amount_off"] is None else Money.from_dict(data["amount_off"]),
    )


@event
class SkuSalesChanged(Event):
    """Every sale (running or scheduled, not yet ended) that applies to a SKU, sent whole:
    an upsert; empty when none applies any more. Newer `occurred_at` wins."""

    sku: str
    offers: tuple[SaleOffer, ...]


@event
class LightningDealChanged(Event):
    """A lightning deal was scheduled, changed, or withdrawn (`active` False), sent whole.
    `units` deal units of `sku` sell at `price` between starts_at and ends_at."""

    deal_id: int
    sku: str
    product_id: int
    price: Money
    units: int
    starts_at: datetime
    ends_at: datetime
    active: bool


@event
class DealUnitsClaimed(Event):
    """A checkout claimed deal units for an order (in the checkout's transaction).
    `claimed` is the deal's running total after this claim."""

    publisher = "orders"

    deal_id: int
    sku: str
    order_id: int
    quantity: int
    claimed: int
    units: int


@event
class DealUnitsReleased(Event):
    """An order's deal units came back (the order was cancelled or expired), once."""

    publisher = "orders"

    deal_id: int
    sku: str
    order_id: int
    quantity: int
    claimed: int
    units: int
    reason: str


# --- Vouchers ----------------------------------------------------------------------------


@event
class VoucherDefined(Event):
    """A voucher code was created, changed or withdrawn (sent whole: an upsert; `active`
    False withdraws it). Orders keeps a copy and applies it to carts and at checkout; the
    use counters live in orders (VoucherRedeemed / VoucherReleased tell them back)."""

    voucher_id: int
    code: str  # normalised (flowmart.contracts.promotions.normalise_code)
    kind: str  # percentage | fixed | free_shipping
    percent: Decimal | None = None  # percentage: 0 < percent <= 100
    amount: Money | None = None  # fixed: off the eligible goods (its currency is the voucher's)
    currency: str = ""  # the only currency the voucher applies in
    min_spend: Money | None = None  # on the eligible goods, before discounts
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    owner_seller_id: int | None = None  # a seller's own voucher: only that seller's lines
    product_ids: tuple[int, ...] = ()  # empty: every product (subject to the other lists)
    category_slugs: tuple[str, ...] = ()
    seller_ids: tuple[int, ...] = ()
    excluded_product_ids: tuple[int, ...] = ()
    excluded_category_slugs: tuple[str, ...] = ()
    max_uses: int | None = None  # None: unlimited
    max_uses_per_customer: int | None = None
    exclusive: bool = False  # True: never combined with another voucher
    active: bool = True


def normalise_code(raw: str) -> str:
    """The one spelling of a code: upper case, no spaces anywhere (" summer 10 " → "SUMMER10"),
    so customers typing it any way find it, and two codes never differ only by case or spacing."""
    return "".join((raw or "").split()).upper()
