"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.
Each @subscriber_id is stored on deliveries and inbox rows: never change a released one.

Orders' events feed the counts (OrderConfirmed lines, OrderAmended lines, OrderStatusChanged
→ paid); catalog's and inventory's feed what may be recommended."""

from collections import Counter

from flowmart.contracts.catalog import ProductPublished, ProductRetired
from flowmart.contracts.inventory import NON_RESERVATION_REASONS, InventoryAdjusted, OutOfStock
from flowmart.contracts.orders import OrderAmended, OrderConfirmed, OrderStatusChanged
from flowmart.events.registry import subscriber_id

from .services import availability, orders


def _lines(lines) -> dict[str, int]:
    units: Counter[str] = Counter()
    for line in lines:
        units[line.sku] += line.quantity
    return dict(units)


@subscriber_id("recommendations.keep_product")
def keep_product(ev: ProductPublished) -> None:
    availability.apply_product_published(ev)


@subscriber_id("recommendations.retire_product")
def retire_product(ev: ProductRetired) -> None:
    availability.apply_product_retired(ev.product_id, ev.occurred_at)


# What may be recommended needs only whether a SKU is in stock: every reason but a reservation
# (flowmart.contracts.inventory says why); a sell-out comes as OutOfStock.
STOCK_REASONS = NON_RESERVATION_REASONS


@subscriber_id("recommendations.keep_stock")
def keep_stock(ev: InventoryAdjusted) -> None:
    availability.apply_stock_levels(ev.levels, ev.occurred_at)


@subscriber_id("recommendations.keep_sold_out")
def keep_sold_out(ev: OutOfStock) -> None:
    """A SKU's last unit was taken (by a reservation, most often)."""
    availability.apply_sold_out(ev.skus, ev.occurred_at)


@subscriber_id("recommendations.remember_order")
def remember_order(ev: OrderConfirmed) -> None:
    orders.order_confirmed(ev.order_id, _lines(ev.lines))


@subscriber_id("recommendations.remember_amendment")
def remember_amendment(ev: OrderAmended) -> None:
    orders.order_amended(ev.order_id, _lines(ev.lines))


@subscriber_id("recommendations.count_paid_order")
def count_paid_order(ev: OrderStatusChanged) -> None:
    orders.order_paid(ev.order_id, ev.occurred_at)


SUBSCRIBERS: dict = {
    ProductPublished: [keep_product],
    ProductRetired: [retire_product],
    InventoryAdjusted.where(reason=STOCK_REASONS): [keep_stock],
    OutOfStock.where(order_id=None): [keep_sold_out],  # a SKU reached zero
    OrderConfirmed: [remember_order],
    OrderAmended: [remember_amendment],
    OrderStatusChanged.where(status="paid"): [count_paid_order],
}
