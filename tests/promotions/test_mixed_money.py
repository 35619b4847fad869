"""Money to the cent with every promotion at once, over 1,000 seeded random carts: regular
prices, catalogue sales (percent or amount off, overlapping: the best wins), vouchers,
shipping (free or not), tax per line by class in a tax-exclusive or tax-inclusive channel,
through the functions checkout itself calls (best_sale, vouchers.apply, tax.price), and the
amount the provider is asked for in minor units."""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from flowmart.common.money import Money, minor_units
from flowmart.contracts.promotions import SaleOffer, best_sale
from flowmart.orders import pricing, tax, vouchers
from flowmart.orders.channels import Channel
from flowmart.orders.vouchers import Goods
from flowmart.payments.gateways.stripe_gateway import from_minor, to_minor

from .test_vouchers_money import CURRENCIES, exact, money, random_terms

RATES = {"standard": Decimal("0.19"), "reduced": Decimal("0.07"), "zero": Decimal(0)}


class ClassRates:
    """A tax provider (ORDERS_TAX_PROVIDER) with one rate per class, rounded by tax's own rule."""

    def calculate(self, lines, destination, channel):
        return [
            tax.LineTax(tax.line_tax(ln.amount, RATES[ln.tax_class], channel.prices_include_tax), RATES[ln.tax_class],
                        f"VAT {ln.tax_class}")
            for ln in lines
        ]  # fmt: skip


def sale_price(rng: random.Random, regular: Money, now) -> Money:
    offers = []
    for sale_id in range(rng.choice([0, 0, 1, 2])):
        if rng.random() < 0.5:
            offer = SaleOffer(
                sale_id=sale_id,
                sale_name="s",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=1),
                percent_off=Decimal(rng.randint(1, 9999)) / 100,
            )
        else:
            offer = SaleOffer(
                sale_id=sale_id,
                sale_name="s",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=1),
                amount_off=money(rng, regular.currency, 1, 60000),
            )
        offers.append(offer)  # fmt: skip
    best = best_sale(offers, regular, now)
    return regular if best is None else best[1]


def test_1000_random_carts_with_sales_vouchers_shipping_and_tax_add_up(settings):
    settings.ORDERS_TAX_PROVIDER = f"{__name__}.ClassRates"
    rng, now, reduced = random.Random(20261202), timezone.now(), 0
    for _ in range(1000):
        currency = rng.choice(CURRENCIES)
        zero = Money.zero(currency)
        lines, goods = [], []
        for n in range(rng.randint(1, 6)):
            regular, quantity = money(rng, currency, 1, 50000), rng.randint(1, 5)
            unit = sale_price(rng, regular, now)
            assert zero.amount <= unit.amount <= regular.amount and exact(unit)
            reduced += unit != regular
            tax_class = rng.choice(list(RATES))
            lines.append(pricing.PricedLine(sku=f"S{n}", unit_price=unit, quantity=quantity, tax_class=tax_class))
            goods.append(Goods(product_id=rng.randint(1, 6), category_slug=rng.choice(["mugs", "tees", "lamps"]),
                               seller_id=rng.randint(1, 3), total=unit * quantity))  # fmt: skip
        held = [random_terms(rng, i, currency) for i in range(rng.randint(0, 3))]
        applied = vouchers.apply(held, goods, money(rng, currency, 0, 3000), currency)
        channel = Channel("web-gross" if rng.random() < 0.5 else "web", prices_include_tax=rng.random() < 0.5)
        totals = tax.price(lines, currency, applied.shipping, tax.Destination("DE"), channel,
                           line_discounts=applied.line_discounts)  # fmt: skip

        line_totals = sum((ln.line_total for ln in totals.lines), zero)
        added_tax = zero if channel.prices_include_tax else totals.tax
        assert line_totals + totals.shipping + added_tax - totals.discount == totals.total
        assert sum((ln.discount for ln in totals.lines), zero) == totals.discount == applied.discount(currency)
        assert sum((ln.tax for ln in totals.lines), zero) == totals.tax
        assert sum((row["amount"] for row in totals.tax_lines), zero) == totals.tax
        assert totals.total.amount >= 0
        for ln in totals.lines:
            assert zero.amount <= ln.discount.amount <= ln.line_total.amount and ln.tax.amount >= 0
            paid = ln.line_total - ln.discount + (zero if channel.prices_include_tax else ln.tax)
            assert pricing.refund_for(paid, ln.quantity, 0, ln.quantity) == paid
        assert all(exact(m) for m in (*totals.as_dict().values(), *(ln.tax for ln in totals.lines)))
        charged = to_minor(totals.total)  # what the provider is asked for
        assert isinstance(charged, int) and from_minor(charged, currency) == totals.total
        assert charged == int(totals.total.amount * 10 ** minor_units(currency))
    assert reduced > 500  # the sample really exercises sale prices
