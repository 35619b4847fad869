"""The payments ledger records each order's discount once, at its capture, whichever of
OrderConfirmed and the capture comes first; the ledger checks still pass."""

from decimal import Decimal

import pytest

from flowmart.common.money import Money
from flowmart.contracts.common import Address
from flowmart.contracts.orders import OrderConfirmed, OrderLine
from flowmart.events import registry
from flowmart.payments.ledger import check_ledger
from flowmart.payments.models import LedgerEntry
from tests.payments.helpers import assert_ledger_balanced, initiated, reserved, send

pytestmark = pytest.mark.django_db(transaction=True)
USD = lambda amount: Money(Decimal(amount), "USD")  # noqa: E731


@pytest.fixture(autouse=True)
def payments_only(monkeypatch):
    wired = {name: [s for s in subs if s.context == "payments"] for name, subs in registry._BY_EVENT.items()}
    monkeypatch.setattr(registry, "_BY_EVENT", wired)


def confirmed(order_id, discount="5.00") -> OrderConfirmed:
    return OrderConfirmed(
        order_id=order_id,
        order_number=f"FM-{order_id}",
        customer_id=1,
        customer_email="buyer@example.com",
        lines=(
            OrderLine(
                sku="SKU-1",
                name="Mug",
                quantity=2,
                unit_price=USD("27.50"),
                seller_id=1,
                discount=USD(discount),
                tax=USD("0"),
            ),
        ),  # fmt: skip
        shipping_address=Address(
            name="A", line1="1 St", line2="", city="Newark", postal_code="07102", country="US", phone=""
        ),
        shipping_method="standard",
        total=USD("50.00"),
        subtotal=USD("55.00"),
        shipping=USD("0"),
        discount=USD(discount),
        tax=USD("0"),
    )


def discount_entries(order_id):
    return list(
        LedgerEntry.objects.filter(order_id=order_id, kind="discount").values_list("account", "debit", "credit")
    )


def test_a_captured_orders_discount_is_posted_once_whatever_the_order_of_events():
    send(confirmed(901), initiated(901), reserved(901))  # confirmed first, then captured
    send(initiated(902), reserved(902), confirmed(902), confirmed(902))  # captured first; redelivered
    for order_id in (901, 902):
        assert sorted(discount_entries(order_id)) == [
            ("customer_receivable", Decimal(0), Decimal("5.000")),
            ("discounts_given", Decimal("5.000"), Decimal(0)),
        ]
        assert_ledger_balanced(order_id)
    assert check_ledger() == []


def test_an_order_without_discount_posts_none_and_a_declined_one_none_yet():
    send(confirmed(903, discount="0"), initiated(903), reserved(903))
    send(confirmed(904), initiated(904, "pm_card_chargeDeclined"), reserved(904))
    assert discount_entries(903) == [] and discount_entries(904) == []
    assert check_ledger() == []
