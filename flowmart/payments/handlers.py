"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring (the saga's
handlers here, settlement's in settlement_handlers.py). Each handler does one thing; the logic
lives in services.saga."""

from django.db import transaction

from flowmart.contracts.customers import CustomerErased
from flowmart.contracts.inventory import InventoryAdjusted, OutOfStock
from flowmart.contracts.orders import (
    OrderAmended,
    OrderCancelled,
    OrderClaimed,
    OrderConfirmed,
    PaymentInitiated,
    RefundRequested,
)
from flowmart.contracts.subscriptions import SubscriptionChanged, UserSubscriptionStarted
from flowmart.events.base import GIVEN, NONZERO
from flowmart.events.registry import merged, subscriber_id

from . import ledger, privacy, settlement_handlers
from .services import saga


@subscriber_id("payments.hold_payment_request")
def hold_payment_request(event: PaymentInitiated) -> None:
    saga.payment_initiated(event)


@subscriber_id("payments.note_stock_reserved")
def note_stock_reserved(event: InventoryAdjusted) -> None:
    saga.stock_reserved(event.order_id, event.amendment_id)


@subscriber_id("payments.note_out_of_stock")
def note_out_of_stock(event: OutOfStock) -> None:
    saga.out_of_stock(event.order_id, event.amendment_id)


@subscriber_id("payments.refund_cancelled_order")
def refund_cancelled_order(event: OrderCancelled) -> None:
    saga.order_cancelled(event.order_id)


@subscriber_id("payments.settle_amendment")
def settle_amendment(event: OrderAmended) -> None:
    saga.order_amended(event)


@subscriber_id("payments.refund_on_request")
def refund_on_request(event: RefundRequested) -> None:
    saga.refund_requested(event.order_id, event.amount.amount, event.reference, event.reason)


@subscriber_id("payments.save_method_for_renewals")
def save_method_for_renewals(event: UserSubscriptionStarted) -> None:
    saga.subscription_started(event)


@subscriber_id("payments.note_order_owner")
def note_order_owner(event: OrderClaimed) -> None:
    saga.order_claimed(event.order_id, event.customer_id)


@subscriber_id("payments.save_changed_method")
def save_changed_method(event: SubscriptionChanged) -> None:
    saga.subscription_started(event)


@subscriber_id("payments.erase_personal_data")
def erase_personal_data(event: CustomerErased) -> None:
    privacy.erase_customer(event.customer_id)


@subscriber_id("payments.record_order_discount")
def record_order_discount(event: OrderConfirmed) -> None:
    """Delivered only for an order with a discount (OrderConfirmed.where(discount=NONZERO)):
    a plain checkout makes no delivery."""
    with transaction.atomic():
        ledger.note_order_discount(event.order_id, event.discount.amount, event.discount.currency)


SUBSCRIBERS = merged(
    {
        CustomerErased: [erase_personal_data],
        OrderConfirmed.where(discount=NONZERO): [record_order_discount],  # a plain checkout: no delivery
        OrderClaimed: [note_order_owner],
        PaymentInitiated: [hold_payment_request],
        InventoryAdjusted.where(reason="reserved", order_id=GIVEN): [note_stock_reserved],
        OutOfStock.where(order_id=GIVEN): [note_out_of_stock],
        OrderCancelled: [refund_cancelled_order],
        OrderAmended: [settle_amendment],
        RefundRequested: [refund_on_request],
        UserSubscriptionStarted: [save_method_for_renewals],
        SubscriptionChanged.where(change="payment_method", payment_method=GIVEN): [save_changed_method],
    },
    settlement_handlers.SUBSCRIBERS,  # the sellers' ledger (settlement_handlers.py)
)
