"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.
Each @subscriber_id is stored on deliveries and inbox rows: never change a released one.

Verified purchase is learnt from orders' events: OrderConfirmed (customer and SKUs),
OrderAmended (the new lines), OrderClaimed (a guest's order joins an account) and
OrderStatusChanged → delivered. SKU → product and product → seller come from catalog.
CustomerErased detaches the customer's reviews from them (flowmart/reviews/privacy.py)."""

from flowmart.contracts.catalog import ProductPublished, SellerStaffChanged
from flowmart.contracts.customers import CustomerErased
from flowmart.contracts.orders import OrderAmended, OrderClaimed, OrderConfirmed, OrderStatusChanged
from flowmart.events.registry import subscriber_id

from . import privacy
from .services import projections


@subscriber_id("reviews.keep_product")
def keep_product(ev: ProductPublished) -> None:
    projections.apply_product_published(ev)


@subscriber_id("reviews.keep_seller_staff")
def keep_seller_staff(ev: SellerStaffChanged) -> None:
    projections.apply_seller_staff(ev.user_id, ev.seller_ids, ev.occurred_at)


@subscriber_id("reviews.keep_order")
def keep_order(ev: OrderConfirmed) -> None:
    projections.order_placed(ev.order_id, ev.customer_id, (line.sku for line in ev.lines))


@subscriber_id("reviews.keep_amended_order")
def keep_amended_order(ev: OrderAmended) -> None:
    projections.order_amended(ev.order_id, (line.sku for line in ev.lines))


@subscriber_id("reviews.keep_claimed_order")
def keep_claimed_order(ev: OrderClaimed) -> None:
    projections.order_claimed(ev.order_id, ev.customer_id)


@subscriber_id("reviews.keep_delivery")
def keep_delivery(ev: OrderStatusChanged) -> None:
    projections.order_delivered(ev.order_id, ev.customer_id, ev.occurred_at)


@subscriber_id("reviews.erase_personal_data")
def erase_personal_data(ev: CustomerErased) -> None:
    privacy.erase_customer(ev.customer_id)


SUBSCRIBERS: dict = {
    ProductPublished: [keep_product],
    SellerStaffChanged: [keep_seller_staff],
    OrderConfirmed: [keep_order],
    OrderAmended: [keep_amended_order],
    OrderClaimed: [keep_claimed_order],
    OrderStatusChanged.where(status="delivered"): [keep_delivery],
    CustomerErased: [erase_personal_data],
}
