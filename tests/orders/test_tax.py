"""Tax per line (flowmart/orders/tax.py): rates per country, region and class, tax-inclusive
and tax-exclusive channels to the cent, the rounding rule over many carts, the provider hook."""

import random
from decimal import Decimal

import pytest
from django.test import override_settings

from flowmart.common.money import Money
from flowmart.orders import pricing, tax
from flowmart.orders.channels import Channel, channel
from flowmart.orders.models import Order, TaxRate

pytestmark = pytest.mark.django_db

NET = Channel("web", prices_include_tax=False)
GROSS = Channel("web-gross", prices_include_tax=True)


@pytest.fixture
def tax_rates():
    """US: only California has a rate; Canada: GST for the country, HST in Ontario; Germany: three classes."""
    for country, region, tax_class, rate, name in [
        ("US", "CA", "standard", "0.0725", "CA sales tax"),
        ("CA", "", "standard", "0.05", "GST"),
        ("CA", "ON", "standard", "0.13", "HST"),
        ("DE", "", "standard", "0.19", "MwSt 19%"),
        ("DE", "", "reduced", "0.07", "MwSt 7%"),
        ("DE", "", "zero", "0", "MwSt 0%"),
    ]:
        TaxRate.objects.create(country=country, region=region, tax_class=tax_class, rate=Decimal(rate), name=name)


def usd(amount) -> Money:
    return Money(Decimal(amount), "USD")


def line(sku, price, quantity=1, tax_class="standard", currency="USD") -> pricing.PricedLine:
    return pricing.PricedLine(
        sku=sku, unit_price=Money(Decimal(price), currency), quantity=quantity, tax_class=tax_class
    )


def taxes(destination, *lines, chan=NET):
    totals = tax.price(list(lines), "USD", None, destination, chan)
    return [(ln.tax.amount, ln.tax_rate, ln.tax_name) for ln in totals.lines]


def test_the_rate_follows_country_region_and_class(tax_rates):
    ca = tax.Destination("US", "CA")
    assert taxes(ca, line("A", "100.00")) == [(Decimal("7.25"), Decimal("0.0725"), "CA sales tax")]
    assert taxes(tax.Destination("CA", "ON"), line("A", "100.00")) == [(Decimal("13.00"), Decimal("0.13"), "HST")]
    de = tax.Destination("DE")
    standard, reduced, zero = line("S", "10.00"), line("R", "10.00", tax_class="reduced"), line("Z", "10.00", 1, "zero")
    assert taxes(de, standard, reduced, zero) == [
        (Decimal("1.90"), Decimal("0.19"), "MwSt 19%"),
        (Decimal("0.70"), Decimal("0.07"), "MwSt 7%"),
        (Decimal("0.00"), Decimal("0"), "MwSt 0%"),
    ]


def test_a_region_without_rows_falls_back_to_the_country_and_a_class_to_standard(tax_rates):
    assert taxes(tax.Destination("CA", "QC"), line("A", "100.00")) == [(Decimal("5.00"), Decimal("0.05"), "GST")]
    # Canada has no reduced row: the standard row applies.
    assert taxes(tax.Destination("CA", "ON"), line("A", "100.00", tax_class="reduced"))[0][0] == Decimal("13.00")
    # A US state without a row, and no US row: untaxed.
    assert taxes(tax.Destination("US", "NY"), line("A", "100.00")) == [(Decimal("0.00"), Decimal("0"), "")]


def test_without_rows_the_settings_rate_of_the_country_applies(tax_rates):
    # PL has no TaxRate row here; settings.ORDERS_TAX_RATES gives 0.23 (the seed and fallback).
    assert taxes(tax.Destination("PL"), line("A", "10.00")) == [(Decimal("2.30"), Decimal("0.23"), "Tax PL")]
    assert taxes(tax.Destination(""), line("A", "10.00")) == [(Decimal("0.00"), Decimal("0"), "")]


def test_exclusive_prices_add_tax_and_inclusive_prices_contain_it_to_the_cent(tax_rates):
    de = tax.Destination("DE")
    net = tax.price([line("A", "100.00"), line("B", "0.99", 3, "reduced")], "USD", usd("5.00"), de, NET)
    # 100.00 × 0.19 = 19.00; 2.97 × 0.07 = 0.2079 → 0.21
    assert [ln.tax.amount for ln in net.lines] == [Decimal("19.00"), Decimal("0.21")]
    assert (net.subtotal, net.tax, net.total) == (usd("102.97"), usd("19.21"), usd("127.18"))
    gross = tax.price([line("A", "119.00"), line("B", "0.99", 3, "reduced")], "USD", usd("5.00"), de, GROSS)
    # 119.00 × 0.19 / 1.19 = 19.00; 2.97 × 0.07 / 1.07 = 0.19429 → 0.19; the total does not grow
    assert [ln.tax.amount for ln in gross.lines] == [Decimal("19.00"), Decimal("0.19")]
    assert (gross.subtotal, gross.tax, gross.total) == (usd("121.97"), usd("19.19"), usd("126.97"))
    assert gross.prices_include_tax and not net.prices_include_tax
    assert [(t["name"], t["rate"], t["amount"]) for t in gross.tax_lines] == [
        ("MwSt 19%", Decimal("0.1900"), usd("19.00")),
        ("MwSt 7%", Decimal("0.0700"), usd("0.19")),
    ]


def test_tax_is_on_goods_after_discount_and_half_up_per_line(tax_rates):
    totals = tax.price([line("A", "12.50", 3), line("B", "45.99")], "USD", None, tax.Destination("DE"), NET, 10)
    # 37.50 - 3.75 = 33.75 × 0.19 = 6.4125 → 6.41; 45.99 - 4.60 = 41.39 × 0.19 = 7.8641 → 7.86
    assert [(ln.discount.amount, ln.tax.amount) for ln in totals.lines] == [
        (Decimal("3.75"), Decimal("6.41")),
        (Decimal("4.60"), Decimal("7.86")),
    ]
    assert totals.tax == usd("14.27")
    half = tax.price([line("H", "0.50")], "USD", None, tax.Destination("CA", "QC"), NET)
    assert half.tax == usd("0.03")  # 0.025 rounds half up


def test_over_many_random_carts_line_taxes_add_up_and_totals_hold(tax_rates):
    """The sum of line taxes is the order's tax, tax_lines add up to it, and the total identity
    holds in both kinds of channel, whatever the prices, quantities, classes and discounts."""
    rng = random.Random(14)
    places = [tax.Destination("DE"), tax.Destination("US", "CA"), tax.Destination("CA", "ON"), tax.Destination("PL")]
    for _ in range(400):
        currency = rng.choice(["USD", "JPY", "KWD"])
        lines = [
            line(
                f"SKU-{i}",
                str(Decimal(rng.randint(1, 50_000)) / 100),
                rng.randint(1, 7),
                rng.choice(["standard", "reduced", "zero"]),
                currency,
            )
            for i in range(rng.randint(1, 6))
        ]
        chan, percent = rng.choice([NET, GROSS]), rng.choice([0, 5, 10, 15, 33])
        shipping = Money(Decimal(rng.randint(0, 2000)) / 100, currency)
        totals = tax.price(lines, currency, shipping, rng.choice(places), chan, percent)
        line_taxes = sum((ln.tax.amount for ln in totals.lines), Decimal(0))
        assert totals.tax.amount == line_taxes
        assert sum((t["amount"].amount for t in totals.tax_lines), Decimal(0)) == line_taxes
        goods = totals.subtotal.amount - totals.discount.amount + totals.shipping.amount
        assert totals.total.amount == (goods if chan.prices_include_tax else goods + totals.tax.amount)
        for ln in totals.lines:  # each line rounded once, half up, by the documented formula
            assert ln.tax == tax.line_tax(ln.line_total - ln.discount, ln.tax_rate, chan.prices_include_tax)


class HalfPerUnit:
    """A stand-in for an external tax service: 0.50 per unit, whatever the destination."""

    def calculate(self, lines, destination, channel):
        return [
            tax.LineTax(Money(Decimal("0.5") * ln.quantity, ln.amount.currency), Decimal(0), "Flat") for ln in lines
        ]


class Forgetful:
    def calculate(self, lines, destination, channel):
        return []


def test_the_provider_setting_swaps_who_computes_tax(tax_rates, customer, shop, place):
    with override_settings(ORDERS_TAX_PROVIDER="tests.orders.test_tax.HalfPerUnit"):
        order_id = place(customer, {"MUG-1": 2, "TEE-1": 1})
    order = Order.objects.get(pk=order_id)
    assert order.tax == Decimal("1.50")
    assert [(ln.tax, ln.tax_name) for ln in order.lines.order_by("id")] == [
        (Decimal("1.00"), "Flat"),
        (Decimal("0.50"), "Flat"),
    ]
    assert taxes(tax.Destination("DE"), line("A", "10.00"))[0][0] == Decimal("1.90")  # back to the table


def test_a_provider_answer_orders_cannot_keep_is_refused(tax_rates):
    with override_settings(ORDERS_TAX_PROVIDER="tests.orders.test_tax.Forgetful"), pytest.raises(tax.TaxProviderError):
        taxes(tax.Destination("DE"), line("A", "10.00"))


def test_channels_come_from_settings_with_the_default_for_unknown_codes():
    assert channel("web-gross") == Channel("web-gross", True)
    assert channel(None) == channel("gone") == Channel("web", False)
