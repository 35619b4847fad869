"""Promotions events: catalogue sales, lightning deals and vouchers."""

from datetime import datetime
from decimal import Decimal

from flowmart.common.money import Money
from flowmart.events.base import Event, event


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
