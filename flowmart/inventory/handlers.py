"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.

Each handler translates one event into one service call. Idempotency and tolerance of
out-of-order arrival live in the services (terminal reservations are never touched
again), on top of the dispatcher's inbox."""

import logging

from flowmart.contracts.catalog import ProductPublished, SellerStaffChanged
from flowmart.contracts.orders import OrderAmended, OrderCancelled, OrderConfirmed
from flowmart.contracts.payments import PaymentProcessed
from flowmart.contracts.shipping import ReturnReceived, ShipmentDispatched
from flowmart.events.registry import subscriber_id

from . import services
from .models import SellerSku, SellerStaff

logger = logging.getLogger("flowmart.inventory")


@subscriber_id("inventory.reserve_confirmed_order")
def reserve_confirmed_order(event: OrderConfirmed) -> None:
    services.reserve_order(
        order_id=event.order_id,
        lines=[(line.sku, line.quantity) for line in event.lines],
        destination_country=event.shipping_address.country,
    )


@subscriber_id("inventory.release_cancelled_order")
def release_cancelled_order(event: OrderCancelled) -> None:
    services.release_order(order_id=event.order_id, reason=event.reason)


@subscriber_id("inventory.apply_order_amendment")
def apply_order_amendment(event: OrderAmended) -> None:
    services.apply_amendment(
        order_id=event.order_id,
        amendment_id=event.amendment_id,
        changes=[(change.sku, change.quantity) for change in event.changes],
    )


@subscriber_id("inventory.keep_paid_reservations")
def keep_paid_reservations(event: PaymentProcessed) -> None:
    services.mark_paid(order_id=event.order_id)


@subscriber_id("inventory.consume_dispatched_shipment")
def consume_dispatched_shipment(event: ShipmentDispatched) -> None:
    services.consume_for_shipment(
        order_id=event.order_id,
        warehouse_code=event.warehouse_code,
        lines=[(line.sku, line.quantity) for line in event.lines],
        shipment_id=event.shipment_id,
    )


@subscriber_id("inventory.restock_received_return")
def restock_received_return(event: ReturnReceived) -> None:
    services.restock_return(
        return_id=event.return_id,
        order_id=event.order_id,
        lines=[(line.sku, line.quantity, line.warehouse_code) for line in event.lines],
    )


@subscriber_id("inventory.note_sku_seller")
def note_sku_seller(event: ProductPublished) -> None:
    """Which seller's staff may receive and adjust each SKU."""
    SellerSku.apply(event.seller_id, [v.sku for v in event.variants], event.occurred_at)


@subscriber_id("inventory.keep_seller_staff")
def keep_seller_staff(event: SellerStaffChanged) -> None:
    if not SellerStaff.apply(event.user_id, event.seller_ids, event.occurred_at):
        logger.info("stale SellerStaffChanged for user %s ignored", event.user_id)


SUBSCRIBERS = {
    OrderConfirmed: [reserve_confirmed_order],
    OrderCancelled: [release_cancelled_order],
    OrderAmended: [apply_order_amendment],
    PaymentProcessed.where(status="succeeded"): [keep_paid_reservations],
    ShipmentDispatched: [consume_dispatched_shipment],
    ReturnReceived: [restock_received_return],
    ProductPublished: [note_sku_seller],
    SellerStaffChanged: [keep_seller_staff],
}
