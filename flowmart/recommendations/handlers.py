"""Event subscribers of this context: the SUBSCRIBERS mapping is its whole wiring.
Names are stable ("recommendations.<function>"): never rename one once written.

Orders' events feed the counts (OrderConfirmed lines, OrderAmended lines, OrderStatusChanged
→ paid); catalog's and inventory's feed what may be recommended."""

from collections import Counter

from flowmart.contracts.catalog import ProductPublished, ProductRetired
from flowmart.contracts.inventory import InventoryAdjusted
from flowmart.contracts.orders import OrderAmended, OrderConfirmed, OrderStatusChanged

from .services import availability, orders


def _lines(lines) -> dict[str, int]:
    units: Counter[str] = Counter()
    for line in lines:
        units[line.sku] += line.quantity
    return dict(units)


def keep_product(ev: ProductPublished) -> None:
    availability.apply_product_published(ev)


def retire_product(ev: ProductRetired) -> None:
    availability.apply_product_retired(ev.product_id, ev.occurred_at)


def keep_stock(ev: InventoryAdjusted) -> None:
    availability.apply_stock_levels(ev.levels, ev.occurred_at)


def remember_order(ev: OrderConfirmed) -> None:
    orders.order_confirmed(ev.order_id, _lines(ev.lines))


def remember_amendment(ev: OrderAmended) -> None:
    orders.order_amended(ev.order_id, _lines(ev.lines))


def count_paid_order(ev: OrderStatusChanged) -> None:
    orders.order_paid(ev.order_id, ev.occurred_at)


SUBSCRIBERS: dict = {
    ProductPublished: [keep_product],
    ProductRetired: [retire_product],
    InventoryAdjusted: [keep_stock],
    OrderConfirmed: [remember_order],
    OrderAmended: [remember_amendment],
    OrderStatusChanged.where(status="paid"): [count_paid_order],
}
