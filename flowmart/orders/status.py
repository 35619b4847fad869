"""The order status machine: one explicit table of allowed moves.

Events may arrive late or twice, so a move that the table does not allow is not an
error in a handler: it is a stale event, logged and ignored. Customer actions that the
table refuses answer 409.
"""

from django.db import models


class OrderStatus(models.TextChoices):
    PENDING = "pending"
    AWAITING_PAYMENT = "awaiting_payment"
    ON_HOLD = "on_hold"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class PaymentStatus(models.TextChoices):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    DISPUTED = "disputed"


class CancellationReason(models.TextChoices):
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_FAILED = "payment_failed"
    FRAUD_REJECTED = "fraud_rejected"
    CUSTOMER_REQUEST = "customer_request"
    EXPIRED = "expired"
    PAYMENT_REFUNDED = "payment_refunded"  # refunded in full at the provider before anything shipped
    OPERATIONS = "operations"  # cancelled by operations staff from the back office (StaffAction says why)


S = OrderStatus

# pending → paid / on_hold directly: payments' answer may overtake inventory's on the way to us.
# paid / shipped / delivered → on_hold: a payment dispute; releasing the hold returns the order to
# where its shipments say it is (paid, shipped or delivered).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.AWAITING_PAYMENT, S.ON_HOLD, S.PAID, S.CANCELLED}),
    S.AWAITING_PAYMENT: frozenset({S.ON_HOLD, S.PAID, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.PAID, S.SHIPPED, S.DELIVERED, S.CANCELLED}),
    S.PAID: frozenset({S.SHIPPED, S.CANCELLED, S.ON_HOLD}),
    S.SHIPPED: frozenset({S.DELIVERED, S.ON_HOLD}),
    S.DELIVERED: frozenset({S.RETURNED, S.ON_HOLD}),
    S.CANCELLED: frozenset(),
    S.RETURNED: frozenset(),
}

# Until the parcel has left, the customer may still change their mind.
CHANGEABLE = frozenset({S.PENDING, S.AWAITING_PAYMENT, S.ON_HOLD, S.PAID})


def is_changeable(order) -> bool:
    """Customers may cancel or amend until shipped, but not while a dispute holds the order."""
    return order.status in CHANGEABLE and not order.held_from


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())
