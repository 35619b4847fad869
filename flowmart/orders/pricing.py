"""Pure pricing rules: totals, shipping quotes, refunds. No database access.

Tax per line (destination, tax class, channel) is computed by flowmart/orders/tax.py on top
of `price()`: the flat `rate` here is what it was before per-line tax (tax.price passes 0).
The order's discount and tax are split over its lines, so a returned line refunds exactly its share.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from flowmart.common.money import Money, minor_units, sum_money

HUNDRED = Decimal(100)


def tax_rate(country: str) -> Decimal:
    rates = getattr(settings, "ORDERS_TAX_RATES", {})
    return Decimal(str(rates.get((country or "").upper(), "0")))


@dataclass
class PricedLine:
    sku: str
    unit_price: Money
    quantity: int
    discount: Money | None = None
    tax: Money | None = None
    discount_percent: int | None = None  # this line's own (a renewal line's plan); None: the order's
    tax_class: str = "standard"  # the product's; tax.py fills tax_rate and tax_name with `tax`
    tax_rate: Decimal | None = None
    tax_name: str = ""

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass
class Totals:
    subtotal: Money
    shipping: Money
    discount: Money
    tax: Money
    total: Money
    lines: list[PricedLine] = field(default_factory=list)
    vouchers: list = field(default_factory=list)  # a cart's voucher outcomes (vouchers.Outcome)
    prices_include_tax: bool = False  # then total = subtotal - discount + shipping (tax is inside)
    tax_lines: list[dict] = field(default_factory=list)  # per rate: {name, rate, amount} (tax.tax_lines)

    def as_dict(self) -> dict[str, Money]:
        return {
            "subtotal": self.subtotal,
            "shipping": self.shipping,
            "discount": self.discount,
            "tax": self.tax,
            "total": self.total,
        }


def allocate(amount: Money, weights: list[Money]) -> list[Money]:
    """Split `amount` over lines in proportion to `weights`, in the currency's minor units, by
    largest remainder: the parts add up to the whole, and each is its exact share rounded down
    or up by one unit, so a part never goes below zero nor above its weight when the amount
    does not exceed their sum (a discount or tax share never makes a line negative)."""
    if not weights:
        return []
    currency = amount.currency
    unit = Decimal(1).scaleb(-minor_units(currency))
    units, sizes = int(amount.amount / unit), [int(w.amount / unit) for w in weights]
    whole = sum(sizes)
    if whole <= 0 or any(size < 0 for size in sizes):
        return [Money.zero(currency)] * (len(weights) - 1) + [amount]
    sign, units = (1 if units >= 0 else -1), abs(units)
    parts = [units * size // whole for size in sizes]
    by_remainder = sorted(range(len(sizes)), key=lambda i: (-(units * sizes[i] % whole), i))
    for i in by_remainder[: units - sum(parts)]:
        parts[i] += 1
    return [Money(sign * part * unit, currency) for part in parts]


def price(
    lines: list[PricedLine],
    currency: str,
    shipping: Money | None,
    rate: Decimal,
    discount_percent: int = 0,
    line_discounts: list[Money] | None = None,
) -> Totals:
    """Totals for lines at their unit prices; fills each line's discount and tax share.
    A line with its own `discount_percent` (grouped subscription renewals) is discounted by
    it; the others by the order's `discount_percent`, split over them. `line_discounts` (the
    vouchers', flowmart/orders/vouchers.py, each within its line) are added on top."""
    shipping = shipping or Money.zero(currency)
    subtotal = sum_money((line.line_total for line in lines), currency)
    if any(line.discount_percent is not None for line in lines):
        for line in lines:
            percent = discount_percent if line.discount_percent is None else line.discount_percent
            line.discount = Money(line.line_total.amount * Decimal(percent) / HUNDRED, currency)
        discount = sum_money((line.discount for line in lines), currency)
    else:
        discount = Money(subtotal.amount * Decimal(discount_percent) / HUNDRED, currency)
        line_totals = [line.line_total for line in lines]
        for line, line_discount in zip(lines, allocate(discount, line_totals), strict=True):
            line.discount = line_discount
    if line_discounts:
        for line, extra in zip(lines, line_discounts, strict=True):
            line.discount = line.discount + extra
        discount = sum_money((line.discount for line in lines), currency)
    tax = Money((subtotal.amount - discount.amount) * rate, currency)
    taxable = [line.line_total - line.discount for line in lines]
    for line, line_tax in zip(lines, allocate(tax, taxable), strict=True):
        line.tax = line_tax
    total = subtotal - discount + tax + shipping
    return Totals(subtotal=subtotal, shipping=shipping, discount=discount, tax=tax, total=total, lines=lines)


def refund_for(line_paid: Money, quantity: int, returned_before: int, returning: int) -> Money:
    """What returning `returning` more units of a line refunds: its paid share (goods
    after discount, plus tax). Computed cumulatively so partial returns add up exactly."""
    before = Money(line_paid.amount * returned_before / quantity, line_paid.currency)
    after = Money(line_paid.amount * (returned_before + returning) / quantity, line_paid.currency)
    return after - before


def _band(rates: list[dict], country: str, weight: int, currency: str | None) -> dict | None:
    """The cheapest rate for the destination: its own rows, else the "*" rows."""
    for wanted in (country, "*"):
        rows = [r for r in rates if r["country"] == wanted]
        if rows:
            fitting = [
                r
                for r in rows
                if r["max_weight_grams"] >= weight and (currency is None or r["price"]["currency"] == currency)
            ]
            return min(fitting, key=lambda r: Decimal(r["price"]["amount"]), default=None)
    return None


# Why a method does not serve a parcel, most specific last: `explain()` reports, per method,
# the first that applies, and for the whole answer the one shared by most methods.
NO_METHODS = "no_methods"  # the shop publishes no shipping methods at all
NO_ZONE = "no_zone"  # the method ships neither to this country nor "everywhere else"
TOO_HEAVY = "too_heavy"  # it ships there, but no rate takes this weight
NO_RATE_IN_CURRENCY = "no_rate_in_currency"  # rates for this weight exist, in another currency than the cart's


def unavailable_reason(rates: list[dict], country: str, weight: int, currency: str | None) -> str | None:
    """None when the method serves the parcel, else one of the reasons above."""
    rows = [r for r in rates if r["country"] == country] or [r for r in rates if r["country"] == "*"]
    if not rows:
        return NO_ZONE
    heavy_enough = [r for r in rows if r["max_weight_grams"] >= weight]
    if not heavy_enough:
        return TOO_HEAVY
    if currency is not None and not any(r["price"]["currency"] == currency for r in heavy_enough):
        return NO_RATE_IN_CURRENCY
    return None


def explain(methods: list[dict], country: str, weight: int, currency: str | None = None) -> dict:
    """The offers plus why every other method does not fit, and one `reason` when none does."""
    offers = quote_methods(methods, country, weight, currency)
    unavailable = []
    for method in methods:
        why = unavailable_reason(method["rates"], country, weight, currency)
        if why is not None:
            unavailable.append({"code": method["code"], "name": method["name"], "reason": why})
    reason = None
    if not methods:
        reason = NO_METHODS
    elif not offers:
        counts = {}
        for row in unavailable:
            counts[row["reason"]] = counts.get(row["reason"], 0) + 1
        reason = max(counts, key=lambda r: (counts[r], r == TOO_HEAVY)) if counts else NO_ZONE
    return {"methods": offers, "reason": reason, "unavailable": unavailable, "weight_grams": weight}


def quote_methods(methods: list[dict], country: str, weight: int, currency: str | None = None) -> list[dict]:
    """[{code, name, carrier, price: Money, estimated_days}] the table offers for this parcel."""
    offers = []
    for method in methods:
        band = _band(method["rates"], country, weight, currency)
        if band is not None:
            offers.append(
                {
                    "code": method["code"],
                    "name": method["name"],
                    "carrier": method["carrier"],
                    "price": Money.from_dict(band["price"]),
                    "estimated_days": method["estimated_days"],
                }
            )
    return sorted(offers, key=lambda offer: (offer["price"].amount, offer["code"]))


def quote(methods: list[dict], code: str, country: str, weight: int, currency: str | None = None) -> dict | None:
    return next((offer for offer in quote_methods(methods, country, weight, currency) if offer["code"] == code), None)
