"""Subscription renewals: one order per grouped SubscriptionRenewalDue (each line with its
plan's discount) through the same saga, and cancelled with the subscription."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from flowmart.contracts.common import Address
from flowmart.contracts.subscriptions import RenewalLine, SubscriptionRenewalDue, UserSubscriptionCancelled
from flowmart.events.models import OutboxEvent
from flowmart.orders.models import Order, OrderLine

from .conftest import US_ADDRESS, payment, reserved

pytestmark = pytest.mark.django_db


def line(subscription_id=77, cycle=1, attempt=1, sku="TEE-1", quantity=3, discount=10):
    return RenewalLine(
        subscription_id=subscription_id,
        cycle=cycle,
        attempt=attempt,
        sku=sku,
        quantity=quantity,
        discount_percent=discount,
    )


def renewal(*lines, key=None, customer_id=5):
    lines = lines or (line(),)
    return SubscriptionRenewalDue(
        renewal_key=key or f"subs-{lines[0].subscription_id}-{lines[0].cycle}-{lines[0].attempt}",
        customer_id=customer_id,
        customer_email="sub@example.com",
        lines=lines,
        shipping_address=Address(**US_ADDRESS),
        shipping_method="standard",
        provider="dummy",
        payment_method="pm_card_visa",
    )


def test_renewal_creates_a_discounted_order_through_the_saga(shop, emit):
    emit(renewal())
    emit(renewal())  # the same key again (a redelivery, a second run): still one order
    order = Order.objects.get()
    assert (order.subscription_id, order.renewal_cycle, order.customer_id) == (77, 1, 5)
    # 3 × 20.00 = 60.00, 10 % off = 6.00, US: no tax, 600 g standard = 5.00
    assert (order.subtotal, order.discount, order.tax, order.shipping, order.total) == (60, 6, 0, 5, 59)
    confirmed = OutboxEvent.objects.get(name="OrderConfirmed").payload
    initiated = OutboxEvent.objects.get(name="PaymentInitiated").payload
    assert confirmed["subscription_id"] == 77 and initiated["subscription_id"] == 77
    assert (initiated["renewal_key"], initiated["renewal_cycle"], initiated["renewal_attempt"]) == ("subs-77-1-1", 1, 1)
    assert initiated["amount"] == {"amount": "59.00", "currency": "USD"}
    assert initiated["payment_method"] == "pm_card_visa"


def test_grouped_renewal_is_one_order_with_each_lines_own_discount(shop, emit):
    emit(
        renewal(line(77, sku="TEE-1", quantity=2, discount=10), line(78, cycle=4, sku="MUG-1", quantity=1, discount=20))
    )
    order = Order.objects.get()
    lines = {row.sku: row for row in order.lines.all()}
    assert lines["TEE-1"].discount == Decimal("4.00") and lines["MUG-1"].discount == Decimal("2.50")
    assert order.discount == Decimal("6.50") and order.subtotal == Decimal("52.50")
    assert (lines["MUG-1"].subscription_id, lines["MUG-1"].renewal_cycle, lines["MUG-1"].renewal_attempt) == (78, 4, 1)
    assert OutboxEvent.objects.filter(name="PaymentInitiated").count() == 1


def test_the_database_refuses_a_second_line_for_one_renewal_attempt(shop, emit):
    emit(renewal())
    order = Order.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.create(order=order, sku="TEE-1", name="x", quantity=1, unit_price=1, seller_id=2,
                                 subscription_id=77, renewal_cycle=1, renewal_attempt=1)  # fmt: skip
    emit(renewal(line(attempt=2), key="subs-retry"))  # a dunning retry is a new attempt: a new order
    assert Order.objects.count() == 2


def test_renewal_for_an_unsellable_sku_makes_no_order(shop, emit):
    emit(renewal(line(sku="GONE-1")))
    assert not Order.objects.exists()


def test_cancelling_the_subscription_cancels_its_unpaid_renewal_orders(shop, emit):
    emit(renewal(line(cycle=1)), renewal(line(cycle=2)), renewal(line(cycle=3)), renewal(line(88, cycle=1)))
    first, second, _ = Order.objects.filter(subscription_id=77).order_by("renewal_cycle")
    emit(reserved(first.pk), payment(first.pk))
    emit(reserved(second.pk))
    emit(UserSubscriptionCancelled(subscription_id=77, customer_id=5))
    statuses = dict(Order.objects.values_list("renewal_cycle", "status").filter(subscription_id=77))
    assert statuses == {1: "paid", 2: "cancelled", 3: "cancelled"}
    assert Order.objects.get(subscription_id=88).status == "pending"
    assert set(Order.objects.filter(status="cancelled").values_list("cancellation_reason", flat=True)) == {
        "customer_request"
    }
