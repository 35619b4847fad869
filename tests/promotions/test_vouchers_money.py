"""Money to the cent: the voucher rules and pricing over 1,000 seeded random carts (pure
functions, no database), and allocate()'s guarantees."""

import random
from decimal import Decimal

import pytest

from flowmart.common.money import Money, minor_units
from flowmart.contracts.promotions import normalise_code
from flowmart.orders import pricing, vouchers
from flowmart.orders.vouchers import Goods, Terms

CURRENCIES = ["USD", "EUR", "JPY", "KWD"]


def money(rng: random.Random, currency: str, low: int, high: int) -> Money:
    """A random amount in the currency's minor units."""
    unit = Decimal(1).scaleb(-minor_units(currency))
    return Money(Decimal(rng.randint(low, high)) * unit * (1 if minor_units(currency) else 100), currency)


def random_terms(rng: random.Random, voucher_id: int, currency: str) -> Terms:
    kind = rng.choice([vouchers.PERCENTAGE, vouchers.FIXED, vouchers.FREE_SHIPPING])
    pick = lambda pool: frozenset(rng.sample(pool, rng.randint(0, 2))) if rng.random() < 0.4 else frozenset()  # noqa: E731
    return Terms(
        voucher_id=voucher_id,
        code=f"V{voucher_id}",
        kind=kind,
        currency=currency if rng.random() < 0.95 else "GBP",
        percent=Decimal(rng.randint(1, 10000)) / 100 if kind == vouchers.PERCENTAGE else None,
        amount=money(rng, currency, 1, 20000) if kind == vouchers.FIXED else None,
        min_spend=money(rng, currency, 0, 30000) if rng.random() < 0.3 else None,
        owner_seller_id=rng.choice([1, 2, 3]) if rng.random() < 0.2 else None,
        product_ids=pick([1, 2, 3, 4, 5, 6]),
        category_slugs=pick(["mugs", "tees", "lamps"]),
        seller_ids=pick([1, 2, 3]),
        excluded_product_ids=pick([1, 2, 3, 4, 5, 6]),
        excluded_category_slugs=pick(["mugs", "tees", "lamps"]) if rng.random() < 0.3 else frozenset(),
        exclusive=rng.random() < 0.2,
    )


def random_cart(rng: random.Random):
    currency = rng.choice(CURRENCIES)
    goods, lines = [], []
    for n in range(rng.randint(1, 6)):
        quantity = rng.randint(1, 5)
        unit_price = money(rng, currency, 1, 50000)
        goods.append(
            Goods(
                product_id=rng.randint(1, 6),
                category_slug=rng.choice(["mugs", "tees", "lamps"]),
                seller_id=rng.randint(1, 3),
                total=unit_price * quantity,
            )
        )
        lines.append(pricing.PricedLine(sku=f"SKU-{n}", unit_price=unit_price, quantity=quantity))
    held = [random_terms(rng, i, currency) for i in range(rng.randint(0, 3))]
    shipping = money(rng, currency, 0, 3000)
    rate = Decimal(rng.choice([0, 0, 5, 7, 19, 20, 25])) / 100
    return currency, goods, lines, held, shipping, rate


def exact(amount: Money) -> bool:
    """The amount is in whole minor units of its currency (what the provider charges)."""
    return amount.amount == amount.amount.quantize(Decimal(1).scaleb(-minor_units(amount.currency)))


def test_1000_random_carts_add_up_to_the_minor_unit():
    rng = random.Random(20261201)
    discounted = 0
    for _ in range(1000):
        currency, goods, lines, held, shipping, rate = random_cart(rng)
        applied = vouchers.apply(held, goods, shipping, currency)
        totals = pricing.price(lines, currency, applied.shipping, rate, line_discounts=applied.line_discounts)
        zero = Money.zero(currency)
        line_totals = sum((ln.line_total for ln in totals.lines), zero)
        line_discounts = sum((ln.discount for ln in totals.lines), zero)
        line_taxes = sum((ln.tax for ln in totals.lines), zero)
        # line totals + shipping + tax − discounts = total, and the parts add up to the whole
        assert line_totals + totals.shipping + totals.tax - totals.discount == totals.total
        assert line_discounts == totals.discount == applied.discount(currency)
        assert line_taxes == totals.tax
        assert totals.total.amount >= 0
        for ln, g in zip(totals.lines, goods, strict=True):
            assert zero.amount <= ln.discount.amount <= ln.line_total.amount
            assert ln.tax.amount >= 0
            paid = ln.line_total - ln.discount + ln.tax
            assert pricing.refund_for(paid, ln.quantity, 0, ln.quantity) == paid  # a returned line: its paid share
            if not any(o.applied and o.terms.kind != vouchers.FREE_SHIPPING and vouchers.eligible(o.terms, g)
                       for o in applied.outcomes):  # fmt: skip
                assert ln.discount == zero  # only eligible lines are discounted
        free = any(o.applied and o.terms.kind == vouchers.FREE_SHIPPING for o in applied.outcomes)
        assert totals.shipping == (zero if free else shipping)
        for outcome in applied.outcomes:
            assert outcome.discount.amount >= 0 and exact(outcome.discount)
        if sum(1 for o in applied.outcomes if o.applied and o.terms.exclusive):
            assert sum(1 for o in applied.outcomes if o.applied) == 1  # an exclusive voucher stands alone
        assert all(exact(m) for m in (*totals.as_dict().values(), *(ln.discount for ln in totals.lines)))
        discounted += bool(totals.discount)
    assert discounted > 200  # the sample really exercises discounts


@pytest.mark.parametrize("currency", CURRENCIES)
def test_allocate_is_exact_and_never_exceeds_a_weight(currency):
    rng = random.Random(7)
    for _ in range(300):
        weights = [money(rng, currency, 0, 999) for _ in range(rng.randint(1, 8))]
        whole = sum((w for w in weights), Money.zero(currency))
        amount = Money(whole.amount * Decimal(rng.randint(0, 100)) / 100, currency)
        parts = pricing.allocate(amount, weights)
        assert sum(parts, Money.zero(currency)) == amount
        if whole.amount:
            assert all(Money.zero(currency).amount <= p.amount <= w.amount for p, w in zip(parts, weights, strict=True))


def test_a_fixed_voucher_larger_than_the_goods_takes_off_only_the_goods():
    goods = [Goods(product_id=1, category_slug="mugs", seller_id=1, total=Money(Decimal("8.00"), "USD"))]
    big = Terms(voucher_id=1, code="BIG", kind=vouchers.FIXED, currency="USD", amount=Money(Decimal("50"), "USD"))
    applied = vouchers.apply([big], goods, Money(Decimal("5.00"), "USD"), "USD")
    lines = [pricing.PricedLine(sku="A", unit_price=Money(Decimal("8.00"), "USD"), quantity=1)]
    totals = pricing.price(lines, "USD", applied.shipping, Decimal("0.2"), line_discounts=applied.line_discounts)
    assert totals.discount == Money(Decimal("8.00"), "USD")
    assert totals.tax.amount == 0 and totals.total == Money(Decimal("5.00"), "USD")  # only the shipping is left


def test_min_spend_counts_only_eligible_goods_before_discounts():
    usd = lambda a: Money(Decimal(a), "USD")  # noqa: E731
    goods = [
        Goods(product_id=1, category_slug="mugs", seller_id=1, total=usd("30")),
        Goods(product_id=2, category_slug="tees", seller_id=2, total=usd("80")),
    ]
    mugs = Terms(voucher_id=1, code="MUGS", kind=vouchers.PERCENTAGE, currency="USD", percent=Decimal(10),
                 category_slugs=frozenset({"mugs"}), min_spend=usd("50"))  # fmt: skip
    assert vouchers.apply([mugs], goods, usd("0"), "USD").outcomes[0].reason == vouchers.MIN_SPEND_NOT_MET
    tees = Terms(voucher_id=2, code="TEES", kind=vouchers.PERCENTAGE, currency="USD", percent=Decimal(10),
                 seller_ids=frozenset({2}), min_spend=usd("50"))  # fmt: skip
    applied = vouchers.apply([tees], goods, usd("0"), "USD")
    assert applied.line_discounts == [usd("0"), usd("8")]


@pytest.mark.parametrize(("raw", "code"), [(" summer 10 ", "SUMMER10"), ("Summer\t10", "SUMMER10"), ("x", "X")])
def test_codes_are_normalised(raw, code):
    assert normalise_code(raw) == code
