"""Payments in the order's currency: Stripe amounts in the currency's minor unit both ways
(zero-decimal JPY/KRW, two-decimal USD/EUR, three-decimal KWD/BHD), refunds and the ledger
in that currency, on Stripe (the real SDK against the local fake) and on the dummy provider."""

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from flowmart.common.money import Money, minor_units
from flowmart.contracts.orders import RefundRequested
from flowmart.payments.gateways import get_gateway
from flowmart.payments.gateways.stripe_gateway import from_minor, to_minor
from flowmart.payments.models import LedgerEntry

from .helpers import assert_ledger_balanced, initiated, payment, published, reserved, send

pytestmark = pytest.mark.django_db(transaction=True)

KINDS = [  # (currency, amount, in minor units, a part of it to refund, in minor units)
    ("JPY", "1500", 1500, "500", 500),
    ("KRW", "15000", 15000, "1", 1),
    ("USD", "12.50", 1250, "0.01", 1),
    ("EUR", "12.50", 1250, "2.55", 255),
    ("KWD", "12.345", 12345, "0.005", 5),
    ("BHD", "0.999", 999, "0.001", 1),
]


@pytest.mark.parametrize(("currency", "amount", "minor", "part", "part_minor"), KINDS)
def test_minor_units_both_ways(currency, amount, minor, part, part_minor):
    money = Money(Decimal(amount), currency)
    assert to_minor(money) == minor
    assert from_minor(minor, currency.lower()) == money
    assert to_minor(Money(Decimal(part), currency)) == part_minor
    assert minor_units(currency) == {"JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3}.get(currency, 2)


def test_amounts_below_the_minor_unit_round_half_up_before_they_reach_stripe():
    assert to_minor(Money(Decimal("1500.5"), "JPY")) == 1501
    assert to_minor(Money(Decimal("12.3445"), "KWD")) == 12345
    assert to_minor(Money(Decimal("12.505"), "USD")) == 1251


def in_currency(order_id, currency, amount, provider):
    ev = initiated(order_id, provider=provider)
    return dataclasses.replace(ev, amount=Money(Decimal(amount), currency))


def refund(order_id, reference, currency, amount) -> RefundRequested:
    return RefundRequested(
        order_id=order_id, reference=reference, amount=Money(Decimal(amount), currency), reason="return"
    )


@pytest.mark.parametrize(("currency", "amount", "minor", "part", "part_minor"), KINDS)
def test_stripe_charges_and_refunds_in_minor_units(stripe_on, currency, amount, minor, part, part_minor):
    order_id = 900 + [k[0] for k in KINDS].index(currency)
    send(reserved(order_id), in_currency(order_id, currency, amount, "stripe"))

    [intent] = stripe_on.charges
    assert (intent["amount"], intent["currency"]) == (minor, currency.lower())
    p = payment(order_id)
    assert (p.status, p.currency, p.captured_amount) == ("succeeded", currency, Decimal(amount))
    [processed] = published("PaymentProcessed", order_id)
    assert processed["amount"] == {"amount": amount, "currency": currency}

    send(refund(order_id, "ret-1", currency, part))
    [sent] = stripe_on.refunds.values()
    assert (sent["amount"], sent["currency"]) == (part_minor, currency.lower())
    p.refresh_from_db()
    assert p.refunded_amount == Decimal(part)
    assert [e["amount"] for e in published("PaymentRefunded", order_id)] == [{"amount": part, "currency": currency}]
    assert set(LedgerEntry.objects.filter(payment=p).values_list("currency", flat=True)) == {currency}
    assert_ledger_balanced(order_id)


def test_a_refund_made_at_stripe_is_read_back_in_the_currencys_unit(stripe_on):
    send(reserved(950), in_currency(950, "JPY", "1500", "stripe"))
    [intent] = stripe_on.charges
    stripe_on.refund_outside(intent["id"], 700)  # ¥700 refunded in Stripe's dashboard

    [charge] = get_gateway("stripe").list_charges(timezone.now() - timedelta(hours=1))

    assert charge.amount_captured == Money(Decimal("1500"), "JPY")
    assert charge.amount_refunded == Money(Decimal("700"), "JPY")


@pytest.mark.parametrize(("currency", "amount", "part"), [("JPY", "1500", "500"), ("KWD", "12.345", "0.345")])
def test_dummy_provider_keeps_the_currency_and_its_decimals(currency, amount, part):
    send(in_currency(960, currency, amount, "dummy"), reserved(960))
    p = payment(960)
    assert (p.status, p.currency, p.captured_amount) == ("succeeded", currency, Decimal(amount))
    send(refund(960, "ret-1", currency, part))
    p.refresh_from_db()
    assert p.refunded_amount == Decimal(part)
    assert_ledger_balanced(960)
