"""Inventory events. Every stock change carries the new available level of each
SKU it touched, so catalogue and orders keep their availability projections."""

from flowmart.events.base import Event, event, value


@value
class Allocation:
    sku: str
    quantity: int
    warehouse_code: str
    warehouse_country: str


@value
class StockLevel:
    sku: str
    available: int  # summed over all warehouses


# Every reason of InventoryAdjusted but a reservation. A reservation never raises a level (an
# amendment's that frees units publishes a "released" report too, with the same levels), and when
# it takes a SKU's last unit inventory says so with OutOfStock (no order). A copy that needs only
# whether a SKU is in stock subscribes with these (InventoryAdjusted.where(reason=…)): a checkout's
# "reserved" report would change nothing in it. tests/recommendations check the list against
# inventory's code.
NON_RESERVATION_REASONS = ("received", "adjusted", "released", "expired", "shipped", "returned")


@event
class InventoryAdjusted(Event):
    """Stock changed. With an order_id and reason "reserved" it answers OrderConfirmed
    (or OrderAmended, with its amendment_id): allocations say where each line ships from."""

    reason: str  # reserved | released | expired | received | adjusted | shipped | returned
    order_id: int | None
    amendment_id: str | None
    allocations: tuple[Allocation, ...]
    levels: tuple[StockLevel, ...]
    reference: str = ""


@event
class OutOfStock(Event):
    """A reservation could not be made (order_id set: nothing was reserved), or a
    SKU's available stock reached zero (order_id None)."""

    order_id: int | None
    amendment_id: str | None
    skus: tuple[str, ...]


@event
class LowStock(Event):
    sku: str
    warehouse_code: str
    available: int
    threshold: int


@event
class ReservationExpired(Event):
    """An unpaid order's reservation ran out and was released: orders cancels it (expired)."""

    order_id: int
