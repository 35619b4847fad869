"""Settlement's subscribers (merged into handlers.SUBSCRIBERS, the context's wiring): the order
lines that say whose money a payment is, the sellers and their staff from catalog, and
payments' own captures, refunds and disputes, each of which brings the order's seller
postings up to date (services.settlements.sync_order is idempotent and order-free)."""

import logging

from flowmart.contracts.catalog import ProductPublished, SellerChanged, SellerStaffChanged
from flowmart.contracts.orders import OrderAmended, OrderConfirmed, RefundRequested
from flowmart.contracts.payments import PaymentProcessed, PaymentRefunded
from flowmart.events.registry import subscriber_id

from .models import SettlementStaff
from .services import settlements

logger = logging.getLogger("flowmart.payments")


@subscriber_id("payments.settle_confirmed_lines")
def settle_confirmed_lines(event: OrderConfirmed) -> None:
    settlements.record_lines(event.order_id, event.lines, event.total, event.occurred_at, first=True)


@subscriber_id("payments.settle_amended_lines")
def settle_amended_lines(event: OrderAmended) -> None:
    settlements.record_lines(event.order_id, event.lines, event.new_total, event.occurred_at)


@subscriber_id("payments.settle_capture")
def settle_capture(event: PaymentProcessed) -> None:
    settlements.sync_order(event.order_id)


@subscriber_id("payments.settle_refund")
def settle_refund(event: PaymentRefunded) -> None:
    settlements.sync_order(event.order_id)


@subscriber_id("payments.note_returned_lines")
def note_returned_lines(event: RefundRequested) -> None:
    settlements.note_refund_lines(event.order_id, event.reference, event.lines)


@subscriber_id("payments.keep_seller")
def keep_seller(event: SellerChanged) -> None:
    settlements.known_seller(event.seller_id, event.seller_name, event.slug)


@subscriber_id("payments.keep_product_seller")
def keep_product_seller(event: ProductPublished) -> None:
    settlements.known_seller(event.seller_id, event.seller_name, event.seller_slug)


@subscriber_id("payments.keep_settlement_staff")
def keep_settlement_staff(event: SellerStaffChanged) -> None:
    if not SettlementStaff.apply(event.user_id, event.seller_ids, event.occurred_at):
        logger.info("stale SellerStaffChanged for user %s ignored", event.user_id)


SUBSCRIBERS: dict = {
    OrderConfirmed: [settle_confirmed_lines],
    OrderAmended: [settle_amended_lines],
    PaymentProcessed.where(status="succeeded"): [settle_capture],
    PaymentRefunded: [settle_refund],
    RefundRequested.where(reason="return"): [note_returned_lines],
    SellerChanged: [keep_seller],
    ProductPublished: [keep_product_seller],
    SellerStaffChanged: [keep_settlement_staff],
}
