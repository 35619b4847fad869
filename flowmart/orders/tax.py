"""Tax per line: destination (country, region), the product's tax class, the sales channel.

Rules (docs/tax.md):
- A line's taxable amount is its goods after discount. Shipping is not taxed.
- Tax-exclusive channel: tax = amount × rate, added to the total.
  Tax-inclusive channel: the amount is gross, tax = amount × rate / (1 + rate), extracted:
  the total does not grow.
- Rounding: each line's tax is rounded once, half-up to the currency's minor unit; the
  order's tax is the sum of its lines' taxes (never rounded again), and `tax_lines` sums the
  lines per (name, rate).

Who knows the rates is a `TaxProvider`, chosen by settings.ORDERS_TAX_PROVIDER (a dotted
path), so an external tax service can replace the local rates table (RatesTableProvider).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from flowmart.common.money import Money, sum_money
from flowmart.contracts.catalog import STANDARD_TAX_CLASS

from . import pricing
from .channels import Channel, channel
from .models import Order, OrderLine, TaxRate

RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Destination:
    country: str  # ISO 3166-1 alpha-2; "" while a cart does not know where it goes
    region: str = ""  # ISO 3166-2 part after the country (a US state, a CA province); "" for none

    @classmethod
    def of(cls, address: dict) -> "Destination":
        return cls((address.get("country") or "").upper(), (address.get("region") or "").upper())


@dataclass(frozen=True)
class TaxableLine:
    sku: str
    tax_class: str
    quantity: int
    amount: Money  # the line after its discount: gross in a tax-inclusive channel, net otherwise


@dataclass(frozen=True)
class LineTax:
    amount: Money  # rounded per line (line_tax)
    rate: Decimal
    name: str  # shown to the customer per rate ("" for no tax)


class TaxProvider(Protocol):
    """Answers one LineTax per line, in order. An implementation for an external service
    (Avalara, TaxJar) calls it here and maps its per-line answer; it must not round the
    order as a whole differently, since orders keeps and refunds tax per line."""

    def calculate(self, lines: Sequence[TaxableLine], destination: Destination, channel: Channel) -> list[LineTax]: ...


class TaxProviderError(RuntimeError):
    """The configured provider answered something orders cannot keep (wrong count or currency)."""


def line_tax(amount: Money, rate: Decimal, included: bool) -> Money:
    """The rounding rule, one line at a time: half-up to the minor unit (Money quantizes)."""
    if included:
        return Money(amount.amount * rate / (1 + rate), amount.currency)
    return Money(amount.amount * rate, amount.currency)


class RatesTableProvider:
    """The local provider: operations' TaxRate rows. For each line's class: the region's row,
    else the country's row; a class without rows there takes the standard class's; without
    any row, settings.ORDERS_TAX_RATES[country] (the old flat rate), else 0."""

    def calculate(self, lines: Sequence[TaxableLine], destination: Destination, channel: Channel) -> list[LineTax]:
        rates = self.rates(destination)
        fallback = rates.get(STANDARD_TAX_CLASS) or self.fallback(destination)
        answers = []
        for line in lines:
            rate, name = rates.get(line.tax_class, fallback)
            answers.append(LineTax(line_tax(line.amount, rate, channel.prices_include_tax), rate, name))
        return answers

    @staticmethod
    def rates(destination: Destination) -> dict[str, tuple[Decimal, str]]:
        """{tax_class: (rate, name)} for the destination, a region's rows overriding the country's."""
        rows = TaxRate.objects.filter(country=destination.country, region__in={"", destination.region})
        found = {}
        for row in sorted(rows, key=lambda r: r.region != ""):
            found[row.tax_class] = (row.rate, row.name)
        return found

    @staticmethod
    def fallback(destination: Destination) -> tuple[Decimal, str]:
        rate = pricing.tax_rate(destination.country)
        return rate, (f"Tax {destination.country}" if rate else "")


def provider() -> TaxProvider:
    return import_string(settings.ORDERS_TAX_PROVIDER)()


def calculate(lines: Sequence[TaxableLine], destination: Destination, chan: Channel, currency: str) -> list[LineTax]:
    """The provider's answer, checked; no destination yet (a cart): no tax."""
    if not destination.country or not lines:
        return [LineTax(Money.zero(currency), Decimal(0), "") for _ in lines]
    answers = list(provider().calculate(lines, destination, chan))
    if len(answers) != len(lines) or any(a.amount.currency != currency for a in answers):
        raise TaxProviderError(f"{settings.ORDERS_TAX_PROVIDER} answered {len(answers)} line(s) for {len(lines)}")
    return answers


def price(
    lines: list[pricing.PricedLine],
    currency: str,
    shipping: Money | None,
    destination: Destination,
    chan: Channel,
    discount_percent: int = 0,
    line_discounts: list[Money] | None = None,
) -> pricing.Totals:
    """pricing.price (subtotal, discounts, shipping), then tax per line from the provider.
    `line_discounts`: the vouchers' share of each line (flowmart/orders/vouchers.py)."""
    totals = pricing.price(lines, currency, shipping, Decimal(0), discount_percent, line_discounts)
    taxable = [
        TaxableLine(sku=ln.sku, tax_class=ln.tax_class, quantity=ln.quantity, amount=ln.line_total - ln.discount)
        for ln in totals.lines
    ]
    for line, answer in zip(totals.lines, calculate(taxable, destination, chan, currency), strict=True):
        line.tax, line.tax_rate, line.tax_name = answer.amount, answer.rate, answer.name
    totals.tax = sum_money((line.tax for line in totals.lines), currency)
    totals.prices_include_tax = chan.prices_include_tax
    totals.total = totals.subtotal - totals.discount + totals.shipping
    if not chan.prices_include_tax:
        totals.total = totals.total + totals.tax
    totals.tax_lines = tax_lines((ln.tax_name, ln.tax_rate, ln.tax) for ln in totals.lines)
    return totals


def tax_lines(parts) -> list[dict]:
    """[{name, rate, amount}] from (name, rate, Money) per line: summed per (name, rate),
    highest rate first; untaxed lines without a named rate are left out."""
    summed: dict[tuple[str, Decimal], Money] = {}
    for name, rate, amount in parts:
        rate = Decimal(rate or 0).quantize(RATE_PLACES)
        if not name and not rate:
            continue
        key = (name, rate)
        summed[key] = summed[key] + amount if key in summed else amount
    ordered = sorted(summed.items(), key=lambda item: (-item[0][1], item[0][0]))
    return [{"name": name, "rate": rate, "amount": amount} for (name, rate), amount in ordered]


def tax_lines_body(lines: list[dict]) -> list[dict]:
    """tax_lines as the API shows them: rate as a decimal string ("0.1900"), amount as Money."""
    return [{"name": t["name"], "rate": str(t["rate"]), "amount": t["amount"].to_dict()} for t in lines]


def order_channel(order: Order) -> Channel:
    """The order's channel as it was at checkout (its own flag wins over today's settings)."""
    return Channel(code=order.channel or channel(None).code, prices_include_tax=order.prices_include_tax)


def order_tax_lines(order: Order, lines: Sequence[OrderLine]) -> list[dict]:
    """The order's tax per rate from its lines (a line kept before per-line rates: the order's rate)."""
    currency = order.currency
    return tax_lines(
        (
            line.tax_name or ("Tax" if line.tax else ""),
            line.tax_rate if line.tax_rate is not None else order.tax_rate,
            Money(line.tax, currency),
        )
        for line in lines
    )


def headline_rate(totals: pricing.Totals) -> Decimal:
    """Order.tax_rate, kept for readers from before per-line rates: the highest line rate."""
    return max((line.tax_rate or Decimal(0) for line in totals.lines), default=Decimal(0))


def paid_share(order: Order, line: OrderLine) -> Money:
    """What the customer paid for a line (what returning all of it refunds): goods after
    discount, plus its tax unless the order's prices included it."""
    paid = line.unit_price * line.quantity - line.discount
    if not order.prices_include_tax:
        paid += line.tax
    return Money(paid, order.currency)


def checkout_fields(order: Order) -> dict:
    """What the checkout answer adds for tax: the order's totals, its tax per rate, its channel
    (place_order leaves the tax per rate on the order it made: no need to read its lines back)."""
    per_rate = getattr(order, "tax_lines", None)
    if per_rate is None:
        per_rate = order_tax_lines(order, order.lines.all())
    return {
        "totals": {name: value.to_dict() for name, value in order.totals.items()},
        "tax_lines": tax_lines_body(per_rate),
        "channel": order.channel,
        "prices_include_tax": order.prices_include_tax,
    }
