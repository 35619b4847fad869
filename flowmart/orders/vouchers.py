"""Voucher pricing rules: which lines a voucher discounts, by how much, and its split over
those lines to the minor unit. No database access (services/vouchers.py reads and writes).

- A voucher discounts only its eligible lines: the owner seller's (a seller's own voucher),
  of the listed products/categories/sellers (an empty list: any), not excluded.
- Minimum spend is met by the eligible lines' goods before any discount.
- Percentage vouchers apply first, then fixed ones, each to what earlier ones left, so a
  discount never exceeds the eligible goods (never a negative line, never a negative total);
  free shipping zeroes the shipping.
- An exclusive voucher is never combined: only the first exclusive one of a cart applies.
- Each voucher's discount is split over its eligible lines in proportion to what is left of
  them (pricing.allocate, largest remainder), so the line discounts sum to the order's.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from flowmart.common.money import Money, sum_money

from .pricing import HUNDRED, allocate

PERCENTAGE, FIXED, FREE_SHIPPING = "percentage", "fixed", "free_shipping"
# Why a voucher held by a cart takes nothing off right now (shown on the cart; the customer
# already knows the code exists, so these tell them nothing more).
MIN_SPEND_NOT_MET = "min_spend_not_met"
NO_ELIGIBLE_ITEMS = "no_eligible_items"
NOT_COMBINABLE = "not_combinable"
OTHER_CURRENCY = "other_currency"
_ORDER = {PERCENTAGE: 0, FIXED: 1, FREE_SHIPPING: 2}


@dataclass(frozen=True)
class Terms:
    """A voucher as pricing sees it."""

    voucher_id: int
    code: str
    kind: str
    currency: str
    percent: Decimal | None = None
    amount: Money | None = None
    min_spend: Money | None = None
    owner_seller_id: int | None = None
    product_ids: frozenset = frozenset()
    category_slugs: frozenset = frozenset()
    seller_ids: frozenset = frozenset()
    excluded_product_ids: frozenset = frozenset()
    excluded_category_slugs: frozenset = frozenset()
    exclusive: bool = False


@dataclass(frozen=True)
class Goods:
    """One line as vouchers see it: what it is, whose, and its goods total."""

    product_id: int
    category_slug: str
    seller_id: int
    total: Money


@dataclass(frozen=True)
class Outcome:
    terms: Terms
    discount: Money  # goods taken off, or (free shipping) the shipping saved
    reason: str | None = None  # None: applied

    @property
    def applied(self) -> bool:
        return self.reason is None


@dataclass
class Applied:
    line_discounts: list[Money]
    shipping: Money  # after free shipping
    outcomes: list[Outcome] = field(default_factory=list)

    def discount(self, currency: str) -> Money:
        return sum_money(self.line_discounts, currency)


def eligible(terms: Terms, goods: Goods) -> bool:
    if terms.owner_seller_id is not None and goods.seller_id != terms.owner_seller_id:
        return False
    if goods.product_id in terms.excluded_product_ids or goods.category_slug in terms.excluded_category_slugs:
        return False
    return (
        (not terms.product_ids or goods.product_id in terms.product_ids)
        and (not terms.category_slugs or goods.category_slug in terms.category_slugs)
        and (not terms.seller_ids or goods.seller_id in terms.seller_ids)
    )


def combinable(held: list[Terms]) -> list[Terms]:
    """The vouchers that may apply together: the first exclusive one alone, else all."""
    exclusive = next((t for t in held if t.exclusive), None)
    return [exclusive] if exclusive else list(held)


def apply(held: list[Terms], goods: list[Goods], shipping: Money, currency: str) -> Applied:
    """Every held voucher's outcome, and the per-line discounts and shipping they make."""
    zero = Money.zero(currency)
    result = Applied(line_discounts=[zero] * len(goods), shipping=shipping)
    together = combinable(held)
    left = [g.total for g in goods]
    outcomes = {}
    for terms in sorted(together, key=lambda t: _ORDER.get(t.kind, 3)):
        outcomes[terms.voucher_id] = _apply_one(terms, goods, left, result, currency)
    result.outcomes = [
        outcomes.get(t.voucher_id) or Outcome(terms=t, discount=zero, reason=NOT_COMBINABLE) for t in held
    ]
    return result


def _apply_one(terms: Terms, goods: list[Goods], left: list[Money], result: Applied, currency: str) -> Outcome:
    zero = Money.zero(currency)
    if terms.currency and terms.currency != currency:
        return Outcome(terms, zero, OTHER_CURRENCY)
    chosen = [i for i, g in enumerate(goods) if eligible(terms, g)]
    if not chosen:
        return Outcome(terms, zero, NO_ELIGIBLE_ITEMS)
    if terms.min_spend is not None and sum_money((goods[i].total for i in chosen), currency) < terms.min_spend:
        return Outcome(terms, zero, MIN_SPEND_NOT_MET)
    if terms.kind == FREE_SHIPPING:
        saved = result.shipping
        result.shipping = zero
        return Outcome(terms, saved)
    remaining = sum_money((left[i] for i in chosen), currency)
    if terms.kind == PERCENTAGE:
        off = Money(remaining.amount * (terms.percent or 0) / HUNDRED, currency)
    else:
        off = min(terms.amount or zero, remaining, key=lambda m: m.amount)
    for i, part in zip(chosen, allocate(off, [left[i] for i in chosen]), strict=True):
        left[i] = left[i] - part
        result.line_discounts[i] = result.line_discounts[i] + part
    return Outcome(terms, off)
