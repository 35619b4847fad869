"""Each subscription that names its kinds (Event.where) in a context's SUBSCRIBERS gets a
delivery for the kinds its handler acts on and none for the others: the real wiring,
through publish(). (Inside the test's transaction nothing is delivered: only the rows count.)"""

from decimal import Decimal

import pytest
from django.db import transaction

from flowmart.common.money import Money
from flowmart.contracts.inventory import Allocation, InventoryAdjusted, OutOfStock
from flowmart.contracts.orders import OrderStatusChanged
from flowmart.contracts.payments import PaymentProcessed
from flowmart.contracts.subscriptions import SubscriptionChanged
from flowmart.events import publish
from flowmart.events.models import Delivery

pytestmark = pytest.mark.django_db


def paid(status="succeeded", **extra) -> PaymentProcessed:
    return PaymentProcessed(
        order_id=7, payment_id=70, status=status, amount=Money(Decimal("30.00"), "USD"), provider="dummy", **extra
    )


def stock(reason: str, order_id: int | None = 7) -> InventoryAdjusted:
    allocations = (Allocation(sku="MUG-1", quantity=1, warehouse_code="US-EAST", warehouse_country="US"),)
    return InventoryAdjusted(reason=reason, order_id=order_id, amendment_id=None, allocations=allocations, levels=())


def sold_out(order_id: int | None) -> OutOfStock:
    return OutOfStock(order_id=order_id, amendment_id=None, skus=("MUG-1",))


def status(new: str, renewal_key: str | None = None) -> OrderStatusChanged:
    return OrderStatusChanged(
        order_id=7,
        order_number="FM-7",
        customer_id=1,
        customer_email="a@example.com",
        status=new,
        previous_status="pending",
        renewal_key=renewal_key,
    )


def method(change: str, payment_method: str = "") -> SubscriptionChanged:
    return SubscriptionChanged(
        subscription_id=3,
        customer_id=1,
        status="active",
        sku="MUG-1",
        quantity=1,
        change=change,
        provider="dummy",
        payment_method=payment_method,
    )


# subscriber id → (events it acts on, events it would ignore)
CASES = {
    "inventory.keep_paid_reservations": ([paid()], [paid("failed")]),
    "shipping.create_shipments_when_paid": ([paid()], [paid("failed")]),
    "billing.invoice_amendment_charge": (
        [paid(amendment_id="am-1")],
        [paid(), paid("failed", amendment_id="am-1")],
    ),
    "subscriptions.on_renewal_payment": (
        [paid(renewal_key="rk-1"), paid("failed", renewal_key="rk-1")],
        [paid(), paid(renewal_key="rk-1", amendment_id="am-1")],
    ),
    "subscriptions.on_renewal_order_changed": (
        [status("paid", "rk-1"), status("cancelled", "rk-1")],
        [status("paid"), status("paid", "")],
    ),
    "shipping.note_order_allocations": (
        [stock("reserved"), stock("released"), stock("expired")],
        [stock("received", None), stock("adjusted", None), stock("shipped"), stock("returned")],
    ),
    "orders.on_stock_reserved": ([stock("reserved")], [stock("released"), stock("shipped"), stock("received", None)]),
    "payments.note_stock_reserved": ([stock("reserved")], [stock("released"), stock("received", None)]),
    "orders.on_out_of_stock": ([sold_out(7)], [sold_out(None)]),
    "payments.note_out_of_stock": ([sold_out(7)], [sold_out(None)]),
    "orders.keep_sold_out": ([sold_out(None)], [sold_out(7)]),
    "notifications.on_sold_out": ([sold_out(None)], [sold_out(7)]),
    # Recommendations only cares whether a SKU is in stock: a reservation never adds stock, and the
    # last unit reserved comes as OutOfStock.
    "recommendations.keep_stock": ([stock("received", None), stock("released")], [stock("reserved")]),
    "recommendations.keep_sold_out": ([sold_out(None)], [sold_out(7)]),
    # Notifications reads its availability copy as in or out of stock only (notify-me, back in
    # stock), as recommendations does; its order status copy only as cancelled or not.
    "notifications.on_stock_changed": (
        [stock("received", None), stock("adjusted", None), stock("released"), stock("expired"), stock("shipped")],
        [stock("reserved")],
    ),
    "notifications.on_order_status_changed": (
        [status("cancelled")],
        [status("awaiting_payment"), status("paid"), status("on_hold"), status("shipped"), status("delivered")],
    ),
    "payments.save_changed_method": (
        [method("payment_method", "pm_card_visa")],
        [method("payment_method", ""), method("paused")],
    ),
}


@pytest.mark.parametrize("subscriber", sorted(CASES))
def test_a_subscription_gets_the_kinds_it_acts_on_and_no_others(subscriber):
    wanted, unwanted = CASES[subscriber]
    with transaction.atomic():
        publish(*wanted, *unwanted)
    delivered = set(Delivery.objects.filter(subscriber=subscriber).values_list("event__event_id", flat=True))
    assert delivered == {ev.event_id for ev in wanted}


def test_every_other_subscriber_still_gets_every_kind():
    """The availability copies that show numbers (catalog's product pages, orders' cart and
    amendment checks) follow every stock change, whatever its reason."""
    events = [stock("reserved"), stock("received", None)]
    with transaction.atomic():
        publish(*events)
    for name in [
        "catalog.update_availability",
        "orders.keep_availability",
    ]:
        assert Delivery.objects.filter(subscriber=name).count() == len(events), name
