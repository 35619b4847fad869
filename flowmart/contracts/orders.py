"""Orders events: the checkout saga starts here."""

from datetime import datetime

from flowmart.common.money import Money
from flowmart.events.base import Event, event, value

from .common import Address, SkuQuantity


@value
class OrderLine:
    sku: str
    name: str
    quantity: int
    unit_price: Money
    seller_id: int


@event
class OrderConfirmed(Event):
    """A customer checked out: inventory reserves, shipping notes the destination."""

    order_id: int
    order_number: str
    customer_id: int
    customer_email: str
    lines: tuple[OrderLine, ...]
    shipping_address: Address
    shipping_method: str
    total: Money
    subscription_id: int | None = None


@event
class PaymentInitiated(Event):
    """Orders asks payments to charge once stock is reserved (see InventoryAdjusted)."""

    order_id: int
    order_number: str
    customer_id: int
    customer_email: str
    customer_since: datetime | None
    amount: Money
    provider: str  # "dummy" | "stripe"
    payment_method: str  # a provider id such as "pm_card_visa"; never card data
    shipping_country: str
    item_count: int
    client_ip: str | None = None
    subscription_id: int | None = None  # renewal orders are charged off-session
    # A subscription renewal order: its SubscriptionRenewalDue's key, and the cycle and attempt of
    # its first line, which make the provider's idempotency key (subscription, cycle, attempt).
    renewal_key: str | None = None
    renewal_cycle: int | None = None
    renewal_attempt: int | None = None


@event
class OrderCancelled(Event):
    """Inventory releases the order's reservations; payments refunds what was captured;
    shipping voids shipments not yet dispatched."""

    order_id: int
    reason: str  # out_of_stock | payment_failed | fraud_rejected | customer_request | expired | payment_refunded


@event
class OrderAmended(Event):
    """The order's lines changed before shipping. Inventory reserves or releases only
    the difference; payments charges or refunds old_total → new_total."""

    order_id: int
    amendment_id: str
    changes: tuple[SkuQuantity, ...]  # quantity is the signed difference per SKU
    lines: tuple[OrderLine, ...]  # the order's new lines
    old_total: Money
    new_total: Money


@event
class ReturnRequested(Event):
    """The customer asked to send delivered lines back; shipping issues a return label."""

    order_id: int
    return_id: str
    lines: tuple[SkuQuantity, ...]
    reason: str
    shipping_address: Address


@event
class RefundRequested(Event):
    """Orders asks payments to refund part of what was captured (returns, amendments
    settled outside OrderAmended). `reference` makes the refund idempotent."""

    order_id: int
    reference: str
    amount: Money
    reason: str


@event
class OrderStatusChanged(Event):
    """Every status change of an order, for notifications and read models."""

    order_id: int
    order_number: str
    customer_id: int
    customer_email: str
    status: str
    previous_status: str
    cancellation_reason: str | None = None
    renewal_key: str | None = None  # set on subscription renewal orders
