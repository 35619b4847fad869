"""Subscriptions price through orders: the first order and renewals are taxed per line for
the subscription's address, region included (docs/tax.md)."""

from decimal import Decimal

import pytest

from flowmart.events.models import OutboxEvent
from flowmart.orders.models import Order, TaxRate

from .conftest import ADDRESS_US, register, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_subscription_to_a_region_with_a_rate_is_taxed_there(plans):
    TaxRate.objects.create(country="US", region="CA", rate=Decimal("0.0725"), name="CA sales tax")
    buyer = register()
    created = subscribe(buyer, plans["red_monthly"], quantity=2, shipping_address={**ADDRESS_US, "region": "us-ca"})
    assert created["shipping_address"]["region"] == "CA"
    order = Order.objects.get()
    # 2 × 20.00 − 10 % = 36.00 × 0.0725 = 2.61, added (the default channel's prices exclude tax)
    assert (order.subtotal, order.discount, order.tax) == (Decimal("40.00"), Decimal("4.00"), Decimal("2.61"))
    assert order.total == Decimal("38.61") + order.shipping
    assert order.lines.get().tax_name == "CA sales tax" and order.shipping_address["region"] == "CA"
    due = OutboxEvent.objects.filter(name="SubscriptionRenewalDue").first().payload
    assert due["shipping_address"]["region"] == "CA"
