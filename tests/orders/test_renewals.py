"""Subscription renewals: one order per grouped SubscriptionRenewalDue (each line with its
plan's discount) through the same saga, and cancelled with the subscription."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from flowmart.contracts.common import Address
from flowmart.contracts.inventory import OutOfStock
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


def test_renewal_for_an_unsellable_sku_makes_no_order_and_says_so(shop, emit):
    emit(renewal(line(sku="GONE-1")))
    assert not Order.objects.exists()
    left_out = OutboxEvent.objects.get(name="RenewalLinesLeftOut").payload
    assert (left_out["renewal_key"], left_out["order_id"], left_out["reason"]) == (
        "subs-77-1-1",
        None,
        "product_retired",
    )
    assert [(x["subscription_id"], x["cycle"], x["attempt"], x["sku"]) for x in left_out["lines"]] == [
        (77, 1, 1, "GONE-1")
    ]


def test_a_retired_line_of_a_grouped_renewal_is_left_out_and_named_before_the_saga_starts(shop, emit):
    emit(renewal(line(76, sku="GONE-1"), line(78, cycle=4, sku="MUG-1", quantity=1, discount=20), key="subs-9"))
    order = Order.objects.get()
    assert [row.sku for row in order.lines.all()] == ["MUG-1"]
    assert (order.subscription_id, order.renewal_cycle) == (78, 4)  # the ordered line's, not the left-out one's
    names = list(OutboxEvent.objects.filter(name__in=["RenewalLinesLeftOut", "OrderConfirmed", "PaymentInitiated"])
                 .order_by("id").values_list("name", flat=True))  # fmt: skip
    assert names == ["RenewalLinesLeftOut", "OrderConfirmed", "PaymentInitiated"]
    left_out = OutboxEvent.objects.get(name="RenewalLinesLeftOut").payload
    assert left_out["order_id"] == order.pk and [x["subscription_id"] for x in left_out["lines"]] == [76]
    emit(renewal(line(76, sku="GONE-1"), line(78, cycle=4, sku="MUG-1", quantity=1, discount=20), key="subs-9"))
    assert OutboxEvent.objects.filter(name="RenewalLinesLeftOut").count() == 1  # a redelivery: nothing new


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


def _grouped_renewal_order(emit, customer):
    """A paid grouped renewal order of `customer`: TEE-1 × 2 at 10 % off, MUG-1 × 1 at 20 % off."""
    emit(
        renewal(
            line(77, sku="TEE-1", quantity=2, discount=10),
            line(78, cycle=4, sku="MUG-1", quantity=1, discount=20),
            customer_id=customer.user.pk,
        )
    )
    order = Order.objects.get()
    emit(reserved(order.pk), payment(order.pk))
    return order


def _amend(client, order_id, lines):
    body = {"lines": [{"sku": sku, "quantity": qty} for sku, qty in lines.items()]}
    return client.post(f"/api/v1/orders/{order_id}/amend/", body, format="json")


def test_amending_a_grouped_renewal_keeps_each_lines_own_plan_discount(shop, emit, customer):
    order = _grouped_renewal_order(emit, customer)
    response = _amend(customer, order.pk, {"TEE-1": 3, "MUG-1": 1, "LAMP-1": 1})
    assert response.status_code == 200, response.json()
    lines = {row.sku: row for row in Order.objects.get().lines.all()}
    # TEE-1 3 × 20.00 = 60.00 at 10 % = 6.00; MUG-1 12.50 at 20 % = 2.50; LAMP-1 (not subscribed) 45.99, no discount
    assert (lines["TEE-1"].discount, lines["MUG-1"].discount, lines["LAMP-1"].discount) == (
        Decimal("6.00"), Decimal("2.50"), Decimal("0.00"),
    )  # fmt: skip
    assert (lines["TEE-1"].discount_percent, lines["MUG-1"].discount_percent, lines["LAMP-1"].discount_percent) == (
        10, 20, None,
    )  # fmt: skip
    # each subscription line still names the cycle it bills (cancellation and outcomes find it)
    assert (lines["TEE-1"].subscription_id, lines["TEE-1"].renewal_cycle, lines["TEE-1"].renewal_attempt) == (77, 1, 1)
    assert (lines["MUG-1"].subscription_id, lines["MUG-1"].renewal_cycle) == (78, 4)
    assert lines["LAMP-1"].subscription_id is None
    body = response.json()["totals"]
    # goods 60.00 + 12.50 + 45.99 = 118.49, discount 8.50, US: no tax, shipping stays 5.00
    assert (body["subtotal"]["amount"], body["discount"]["amount"], body["total"]["amount"]) == (
        "118.49", "8.50", "114.99",
    )  # fmt: skip
    amended = OutboxEvent.objects.get(name="OrderAmended").payload
    assert (amended["old_total"]["amount"], amended["new_total"]["amount"]) == ("51.00", "114.99")


def test_a_refused_renewal_amendment_restores_the_lines_with_their_discounts_and_cycles(shop, emit, customer):
    order = _grouped_renewal_order(emit, customer)
    assert _amend(customer, order.pk, {"TEE-1": 5}).status_code == 200  # MUG-1 dropped
    amendment_id = OutboxEvent.objects.get(name="OrderAmended").payload["amendment_id"]
    emit(OutOfStock(order_id=order.pk, amendment_id=amendment_id, skus=("TEE-1",)))
    lines = {row.sku: row for row in Order.objects.get().lines.all()}
    assert (lines["TEE-1"].discount, lines["MUG-1"].discount) == (Decimal("4.00"), Decimal("2.50"))
    assert (lines["MUG-1"].discount_percent, lines["MUG-1"].subscription_id, lines["MUG-1"].renewal_cycle) == (
        20,
        78,
        4,
    )
    assert Order.objects.get().total == Decimal("51.00")
    # the restored lines are amended again at their own discounts
    assert _amend(customer, order.pk, {"TEE-1": 1, "MUG-1": 2}).status_code == 200
    lines = {row.sku: row for row in Order.objects.get().lines.all()}
    assert (lines["TEE-1"].discount, lines["MUG-1"].discount) == (Decimal("2.00"), Decimal("5.00"))
