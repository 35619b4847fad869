"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.
Each @subscriber_id is stored on deliveries and inbox rows: never change a released one.

Billing learns everything from events. Each subscriber records what it heard, then asks
`settle` to issue whatever the order is now due: the invoice once the order is paid and its
lines are known (whichever arrives last issues it), a credit note per refund. Redelivery
issues nothing twice (a document is unique per order, kind and reference). CustomerErased
anonymises the buyer on the customer's documents (services/erasure.py)."""

import logging

from flowmart.contracts.catalog import ProductPublished, SellerStaffChanged
from flowmart.contracts.customers import CustomerErased
from flowmart.contracts.orders import OrderAmended, OrderClaimed, OrderConfirmed, OrderStatusChanged, ReturnRequested
from flowmart.contracts.payments import PaymentProcessed, PaymentRefunded
from flowmart.events.base import GIVEN
from flowmart.events.registry import subscriber_id

from . import privacy
from .models import SellerStaff
from .services import issuing, projections

logger = logging.getLogger(__name__)


@subscriber_id("billing.note_order")
def note_order(event: OrderConfirmed) -> None:
    issuing.settle(event.order_id, projections.record_confirmed(event))


@subscriber_id("billing.note_amendment")
def note_amendment(event: OrderAmended) -> None:
    projections.record_amended(event)
    issuing.settle(event.order_id)


@subscriber_id("billing.note_owner")
def note_owner(event: OrderClaimed) -> None:
    projections.record_claimed(event.order_id, event.customer_id)


@subscriber_id("billing.invoice_paid_order")
def invoice_paid_order(event: OrderStatusChanged) -> None:
    order = projections.record_paid(
        event.order_id, event.order_number, event.customer_id, event.customer_email, event.occurred_at
    )
    issuing.settle(event.order_id, order)


@subscriber_id("billing.invoice_amendment_charge")
def invoice_amendment_charge(event: PaymentProcessed) -> None:
    """An amendment's extra charge after the invoice: a supplementary invoice."""
    projections.record_amendment_charge(event)
    issuing.settle(event.order_id)


@subscriber_id("billing.note_return")
def note_return(event: ReturnRequested) -> None:
    projections.record_return(event)


@subscriber_id("billing.credit_refund")
def credit_refund(event: PaymentRefunded) -> None:
    projections.record_refund(event)
    issuing.settle(event.order_id)


@subscriber_id("billing.note_seller")
def note_seller(event: ProductPublished) -> None:
    projections.record_seller(event)


@subscriber_id("billing.keep_seller_staff")
def keep_seller_staff(event: SellerStaffChanged) -> None:
    if not SellerStaff.apply(event.user_id, event.seller_ids, event.occurred_at):
        logger.info("stale SellerStaffChanged for user %s ignored", event.user_id)


@subscriber_id("billing.erase_personal_data")
def erase_personal_data(event: CustomerErased) -> None:
    privacy.erase_customer(event.customer_id)


SUBSCRIBERS = {
    OrderConfirmed: [note_order],
    OrderAmended: [note_amendment],
    OrderClaimed: [note_owner],
    OrderStatusChanged.where(status="paid"): [invoice_paid_order],
    PaymentProcessed.where(status="succeeded", amendment_id=GIVEN): [invoice_amendment_charge],
    ReturnRequested: [note_return],
    PaymentRefunded: [credit_refund],
    ProductPublished: [note_seller],
    SellerStaffChanged: [keep_seller_staff],
    CustomerErased: [erase_personal_data],
}
