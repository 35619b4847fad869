"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.

Each handler runs in the dispatcher's transaction (with its inbox row) and hands the
work to a service; the services themselves tolerate duplicates and any arrival order."""

import logging

from flowmart.contracts.catalog import ProductPublished, SellerStaffChanged
from flowmart.contracts.customers import CustomerErased
from flowmart.contracts.inventory import InventoryAdjusted
from flowmart.contracts.orders import OrderAmended, OrderCancelled, OrderClaimed, OrderConfirmed, ReturnRequested
from flowmart.contracts.payments import PaymentProcessed
from flowmart.events.base import GIVEN
from flowmart.events.registry import subscriber_id

from . import privacy, services
from .models import SellerSku, SellerStaff

logger = logging.getLogger(__name__)

RELEASE_REASONS = ("released", "expired")


@subscriber_id("shipping.note_order_destination")
def note_order_destination(event: OrderConfirmed) -> None:
    services.record_order(event)


@subscriber_id("shipping.note_order_amendment")
def note_order_amendment(event: OrderAmended) -> None:
    services.record_amended_lines(event.order_id, event.lines)


@subscriber_id("shipping.note_order_allocations")
def note_order_allocations(event: InventoryAdjusted) -> None:
    """Reserved stock says where each line ships from; released stock no longer ships."""
    if event.reason == "reserved":
        services.record_reservation(event.order_id, event.amendment_id or "", event.allocations)
    elif event.reason in RELEASE_REASONS:
        services.record_release(event.order_id, event.allocations)


@subscriber_id("shipping.create_shipments_when_paid")
def create_shipments_when_paid(event: PaymentProcessed) -> None:
    services.mark_paid(event.order_id)


@subscriber_id("shipping.void_shipments_of_cancelled_order")
def void_shipments_of_cancelled_order(event: OrderCancelled) -> None:
    voided = services.cancel_order(event.order_id)
    if voided:
        logger.info("order %s cancelled (%s): %d shipment(s) voided", event.order_id, event.reason, len(voided))


@subscriber_id("shipping.issue_return_label")
def issue_return_label(event: ReturnRequested) -> None:
    services.open_return(event)


@subscriber_id("shipping.note_sku_seller")
def note_sku_seller(event: ProductPublished) -> None:
    """Which seller's staff may see and handle parcels holding each SKU."""
    SellerSku.apply(event.seller_id, [v.sku for v in event.variants], event.occurred_at)


@subscriber_id("shipping.keep_sku_weights")
def keep_sku_weights(event: ProductPublished) -> None:
    """Parcel weights for real carriers (EasyPost prices and labels by weight)."""
    services.keep_sku_weights(event)


@subscriber_id("shipping.keep_seller_staff")
def keep_seller_staff(event: SellerStaffChanged) -> None:
    if not SellerStaff.apply(event.user_id, event.seller_ids, event.occurred_at):
        logger.info("stale SellerStaffChanged for user %s ignored", event.user_id)


@subscriber_id("shipping.note_order_owner")
def note_order_owner(event: OrderClaimed) -> None:
    services.record_owner(event.order_id, event.customer_id)


@subscriber_id("shipping.erase_personal_data")
def erase_personal_data(event: CustomerErased) -> None:
    privacy.erase_customer(event.customer_id)


SUBSCRIBERS = {
    CustomerErased: [erase_personal_data],
    OrderConfirmed: [note_order_destination],
    OrderClaimed: [note_order_owner],
    OrderAmended: [note_order_amendment],
    InventoryAdjusted.where(reason=("reserved", *RELEASE_REASONS), order_id=GIVEN): [note_order_allocations],
    PaymentProcessed.where(status="succeeded"): [create_shipments_when_paid],
    OrderCancelled: [void_shipments_of_cancelled_order],
    ReturnRequested: [issue_return_label],
    ProductPublished: [note_sku_seller, keep_sku_weights],
    SellerStaffChanged: [keep_seller_staff],
}
