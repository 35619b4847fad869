"""Contract events for tests, built in one short call: name only the fields a test is about.

What tests/catalog/factories.py is for models, this is for the published language
(flowmart/contracts): every context's tests play the events of the contexts around them, and
the constructors are long (an OrderConfirmed needs eight fields, each line five). Defaults are
one plausible order: customer 1 (buyer@example.com), seller 1, lines of MUG-1 at 10.00 USD, a
Berlin address, the standard method, warehouse US-EAST, the dummy provider.

Here, beside the other shared test support (shop_events, fake_easypost, worker), rather than in
tests/events/: that package tests the dispatcher, these build the payloads it carries.

Order-scoped builders take `order` as an order id or as the OrderConfirmed the test emitted; with
the event, its number, customer, email and (for a payment) total come from it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal

from flowmart.common.money import Money
from flowmart.contracts.common import Address, SkuQuantity
from flowmart.contracts.inventory import Allocation, InventoryAdjusted, OutOfStock, StockLevel
from flowmart.contracts.orders import OrderAmended, OrderCancelled, OrderConfirmed, OrderLine, OrderStatusChanged
from flowmart.contracts.payments import PaymentHeldForReview, PaymentProcessed, PaymentRefunded
from flowmart.contracts.shipping import ShipmentCreated, ShipmentDelivered, ShipmentDispatched

ADDRESS = Address(
    name="Ada", line1="1 Road", line2="", city="Berlin", postal_code="10115", country="DE", phone="+49 30 1"
)
EMAIL = "buyer@example.com"
_ids = itertools.count(900_000)  # payment, refund and shipment ids nobody else hands out


def money(amount="10.00", currency: str = "USD") -> Money:
    """From "10.00", 10 or a Decimal in `currency`; a Money is kept as it is."""
    return amount if isinstance(amount, Money) else Money(Decimal(str(amount)), currency)


# --- orders ----------------------------------------------------------------------------------


def order_line(sku="MUG-1", quantity=1, price="10.00", *, seller_id=1, name=None, currency="USD", **extra):
    """One OrderLine; `extra`: discount, tax, tax_included."""
    unit_price = money(price, currency)
    return OrderLine(sku=sku, name=name or sku, quantity=quantity, unit_price=unit_price, seller_id=seller_id, **extra)


def order_lines(lines, *, price="10.00", currency="USD", seller_id=1) -> tuple[OrderLine, ...]:
    """From {sku: quantity}, or (sku, quantity[, price]) tuples, or OrderLines (kept as they are)."""
    items = lines.items() if isinstance(lines, Mapping) else lines
    return tuple(
        item
        if isinstance(item, OrderLine)
        else order_line(item[0], item[1], item[2] if len(item) > 2 else price, seller_id=seller_id, currency=currency)
        for item in items
    )


def order_confirmed(
    order_id: int,
    lines=(("MUG-1", 1),),
    *,
    customer_id: int | None = 1,
    email: str = EMAIL,
    total=None,
    price="10.00",
    currency="USD",
    seller_id=1,
    address: Address = ADDRESS,
    method="standard",
    number: str | None = None,
    **extra,
) -> OrderConfirmed:
    """Total: the lines' sum unless given. `extra`: subtotal, shipping, discount, tax, channel, ..."""
    built = order_lines(lines, price=price, currency=currency, seller_id=seller_id)
    if total is None:
        total = sum((line.unit_price * line.quantity for line in built), money(0, currency))
    return OrderConfirmed(
        order_id=order_id,
        order_number=number or f"FM-{order_id}",
        customer_id=customer_id,
        customer_email=email,
        lines=built,
        shipping_address=address,
        shipping_method=method,
        total=money(total, currency),
        **extra,
    )


def order_status_changed(
    order, status: str, previous: str, *, customer_id: int | None = 1, email: str = EMAIL, number=None, **extra
) -> OrderStatusChanged:
    """`extra`: cancellation_reason, renewal_key, and the envelope (correlation_id, ...)."""
    if isinstance(order, OrderConfirmed):
        order_id, number, customer_id, email = (
            order.order_id,
            order.order_number,
            order.customer_id,
            order.customer_email,
        )
    else:
        order_id, number = order, number or f"FM-{order}"
    return OrderStatusChanged(
        order_id=order_id,
        order_number=number,
        customer_id=customer_id,
        customer_email=email,
        status=status,
        previous_status=previous,
        **extra,
    )


def order_cancelled(order, reason: str = "customer_request", **extra) -> OrderCancelled:
    return OrderCancelled(order_id=_order_id(order), reason=reason, **extra)


def order_amended(
    order, amendment_id: str, *, old_total, new_total, lines=(), changes=(), currency="USD"
) -> OrderAmended:
    """`lines`: the order's new lines (as order_lines takes them); `changes`: {sku: signed difference}."""
    return OrderAmended(
        order_id=_order_id(order),
        amendment_id=amendment_id,
        changes=sku_quantities(changes),
        lines=order_lines(lines, currency=currency),
        old_total=money(old_total, currency),
        new_total=money(new_total, currency),
    )


# --- inventory -------------------------------------------------------------------------------


def inventory_adjusted(
    reason: str, order=None, allocations=(), *, levels=(), amendment_id=None, **extra
) -> InventoryAdjusted:
    """`allocations`: (sku, quantity, warehouse[, country]) — the country defaults to the warehouse
    code's first two letters (US-EAST → US); `levels`: {sku: available} or (sku, available) pairs."""
    items = levels.items() if isinstance(levels, Mapping) else levels
    return InventoryAdjusted(
        reason=reason,
        order_id=None if order is None else _order_id(order),
        amendment_id=amendment_id,
        allocations=tuple(
            Allocation(sku=a[0], quantity=a[1], warehouse_code=a[2], warehouse_country=a[3] if len(a) > 3 else a[2][:2])
            for a in allocations
        ),
        levels=tuple(StockLevel(sku=sku, available=n) for sku, n in items),
        **extra,
    )


def reserved(order, allocations=(("MUG-1", 1, "US-EAST"),), **kwargs) -> InventoryAdjusted:
    """Inventory's answer to OrderConfirmed (or, with amendment_id, to OrderAmended): stock reserved."""
    return inventory_adjusted("reserved", order, allocations, **kwargs)


def out_of_stock(order=None, skus: Iterable[str] = ("MUG-1",), *, amendment_id=None) -> OutOfStock:
    """With an order: nothing of it was reserved. Without: these SKUs' available stock reached zero."""
    return OutOfStock(order_id=None if order is None else _order_id(order), amendment_id=amendment_id, skus=tuple(skus))


# --- payments --------------------------------------------------------------------------------

_FAILED = "card_declined"


def payment_processed(
    order,
    status: str = "succeeded",
    *,
    amount=None,
    currency="USD",
    payment_id: int | None = None,
    provider="dummy",
    failure_code: str | None = _FAILED,
    **extra,
) -> PaymentProcessed:
    """A charge's outcome. Amount: the order's total when `order` is the OrderConfirmed, else 10.00.
    A failed charge says card_declined unless told otherwise (a succeeded one never has a code)."""
    if amount is None:
        amount = order.total if isinstance(order, OrderConfirmed) else "10.00"
    return PaymentProcessed(
        order_id=_order_id(order),
        payment_id=payment_id or next(_ids),
        status=status,
        amount=money(amount, currency),
        provider=provider,
        failure_code=None if status == "succeeded" else failure_code,
        **extra,
    )


def payment_refunded(
    order, amount="10.00", *, reason="return", refund_id=None, payment_id=1, currency="USD", **extra
) -> PaymentRefunded:
    """`extra`: reference, fully_refunded."""
    return PaymentRefunded(
        order_id=_order_id(order),
        payment_id=payment_id,
        refund_id=refund_id or next(_ids),
        amount=money(amount, currency),
        reason=reason,
        **extra,
    )


def payment_held(order, *, payment_id=1, score=80, reasons: Iterable[str] = ("new_customer",)) -> PaymentHeldForReview:
    return PaymentHeldForReview(order_id=_order_id(order), payment_id=payment_id, score=score, reasons=tuple(reasons))


# --- shipping --------------------------------------------------------------------------------


def shipment_created(
    order,
    shipment_id: int | None = None,
    lines=(("MUG-1", 1),),
    *,
    warehouse_code="US-EAST",
    carrier="postal",
    method="standard",
    tracking_number="PO123456789012US",
    **extra,
) -> ShipmentCreated:
    """`extra`: tracking_url."""
    return ShipmentCreated(
        shipment_id=shipment_id or next(_ids),
        order_id=_order_id(order),
        warehouse_code=warehouse_code,
        carrier=carrier,
        method=method,
        tracking_number=tracking_number,
        lines=sku_quantities(lines),
        **extra,
    )


def shipment_dispatched(
    order, shipment_id: int | None = None, lines=(("MUG-1", 1),), *, warehouse_code="US-EAST", **extra
) -> ShipmentDispatched:
    """`extra`: carrier, tracking_number, tracking_url."""
    return ShipmentDispatched(
        shipment_id=shipment_id or next(_ids),
        order_id=_order_id(order),
        warehouse_code=warehouse_code,
        lines=sku_quantities(lines),
        **extra,
    )


def shipment_delivered(order, shipment_id: int, **extra) -> ShipmentDelivered:
    return ShipmentDelivered(shipment_id=shipment_id, order_id=_order_id(order), **extra)


# --- shared shapes ---------------------------------------------------------------------------


def sku_quantities(lines) -> tuple[SkuQuantity, ...]:
    """From {sku: quantity}, (sku, quantity) pairs, or SkuQuantity values."""
    items = lines.items() if isinstance(lines, Mapping) else lines
    return tuple(
        item if isinstance(item, SkuQuantity) else SkuQuantity(sku=item[0], quantity=item[1]) for item in items
    )


def _order_id(order) -> int:
    return order.order_id if isinstance(order, OrderConfirmed) else order
