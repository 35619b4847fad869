"""Subscription renewals: an order through the same saga, and cancelled with the subscription."""

import pytest

from flowmart.contracts.common import Address
from flowmart.contracts.subscriptions import SubscriptionRenewalDue, UserSubscriptionCancelled
from flowmart.events.models import OutboxEvent
from flowmart.orders.models import Order

from .conftest import US_ADDRESS, payment, reserved

pytestmark = pytest.mark.django_db


def renewal(cycle=1, sku="TEE-1", quantity=3, subscription_id=77, customer_id=5):
    return SubscriptionRenewalDue(
        subscription_id=subscription_id,
        cycle=cycle,
        customer_id=customer_id,
        customer_email="sub@example.com",
        sku=sku,
        quantity=quantity,
        discount_percent=10,
        shipping_address=Address(**US_ADDRESS),
        shipping_method="standard",
        provider="dummy",
        payment_method="pm_card_visa",
    )


def test_renewal_creates_a_discounted_order_through_the_saga(shop, emit):
    emit(renewal())
    emit(renewal())  # the same cycle again (a second billing run): still one order
    order = Order.objects.get()
    assert (order.subscription_id, order.renewal_cycle, order.customer_id) == (77, 1, 5)
    # 3 × 20.00 = 60.00, 10 % off = 6.00, US: no tax, 600 g standard = 5.00
    assert (order.subtotal, order.discount, order.tax, order.shipping, order.total) == (60, 6, 0, 5, 59)
    confirmed = OutboxEvent.objects.get(name="OrderConfirmed").payload
    initiated = OutboxEvent.objects.get(name="PaymentInitiated").payload
    assert confirmed["subscription_id"] == 77 and initiated["subscription_id"] == 77
    assert initiated["amount"] == {"amount": "59.00", "currency": "USD"}
    assert initiated["payment_method"] == "pm_card_visa"


def test_renewal_for_an_unsellable_sku_makes_no_order(shop, emit):
    emit(renewal(sku="GONE-1"))
    assert not Order.objects.exists()


def test_cancelling_the_subscription_cancels_its_unpaid_renewal_orders(shop, emit):
    emit(renewal(cycle=1), renewal(cycle=2), renewal(cycle=3), renewal(cycle=1, subscription_id=88))
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
