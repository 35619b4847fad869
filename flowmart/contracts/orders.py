"""Orders events: the checkout saga starts here."""

from datetime import datetime

from flowmart.common.money import Money
from flowmart.events.base import Event, event, value

from .common import Address, SkuQuantity
from .subscriptions import RenewalLine


@value
class OrderLine:
    sku: str
    name: str
    quantity: int
    unit_price: Money
    seller_id: int
    # This line's share of the order's discount and tax (None: sent before they were carried).
    discount: Money | None = None
    tax: Money | None = None
    # True when unit_price already includes `tax` (a tax-inclusive channel): the line's paid
    # amount is then unit_price × quantity - discount, and its tax is the part of it that is tax.
    tax_included: bool = False

    @property
    def paid(self) -> Money:
        """What the customer paid for this line: goods after discount, plus tax unless included."""
        paid = self.unit_price * self.quantity
        if self.discount is not None:
            paid = paid - self.discount
        if self.tax is not None and not self.tax_included:
            paid = paid + self.tax
        return paid


@event
class OrderConfirmed(Event):
    """A customer checked out: inventory reserves, shipping notes the destination."""

    order_id: int
    order_number: str
    customer_id: int | None  # None: a guest's order (customer_email is how to reach them)
    customer_email: str
    lines: tuple[OrderLine, ...]
    shipping_address: Address
    shipping_method: str
    total: Money
    subscription_id: int | None = None
    guest_order_url: str = ""  # a guest's signed link to the order (PUBLIC_BASE_URL + guest_order_path)
    # The totals behind `total` (None: sent before they were carried): total = subtotal - discount + tax + shipping,
    # or, when prices_include_tax (the order's channel), total = subtotal - discount + shipping (tax is inside).
    subtotal: Money | None = None
    shipping: Money | None = None
    discount: Money | None = None
    tax: Money | None = None
    prices_include_tax: bool = False
    channel: str = ""  # the sales channel the order came through ("": sent before channels existed)


@event
class PaymentInitiated(Event):
    """Orders asks payments to charge once stock is reserved (see InventoryAdjusted)."""

    order_id: int
    order_number: str
    customer_id: int | None  # None: a guest (payments screens it by email, card and address)
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
    lines: tuple[SkuQuantity, ...] = ()  # the returned units it pays back (a return); empty: not about lines


@event
class OrderStatusChanged(Event):
    """Every status change of an order, for notifications and read models."""

    order_id: int
    order_number: str
    customer_id: int | None
    customer_email: str
    status: str
    previous_status: str
    cancellation_reason: str | None = None
    renewal_key: str | None = None  # set on subscription renewal orders


@event
class RenewalLinesLeftOut(Event):
    """Orders could not put these lines of a SubscriptionRenewalDue into its order: their SKU
    is no longer for sale (retired after the renewal was emitted). Subscriptions records each
    line's cycle as skipped with `reason` and tells the customer; the other lines are the
    order `order_id` (None: no line was left, no order was made)."""

    renewal_key: str
    lines: tuple[RenewalLine, ...]
    reason: str = "product_retired"
    order_id: int | None = None


# --- Guest orders -------------------------------------------------------------------------
# A guest's order is shown to whoever holds its signed link (no account, no password). The
# token is part of the published language: orders makes and reads it, notifications puts the
# link in the guest's messages. Signed with SECRET_KEY (django.core.signing), so it cannot be
# made for another order; it names the email so a claimed order's link still shows only it.
GUEST_ORDER_SALT = "flowmart.orders.guest-order"


def guest_order_token(order_id: int, email: str) -> str:
    from django.core import signing

    return signing.dumps({"o": order_id, "e": email.lower()}, salt=GUEST_ORDER_SALT, compress=True)


def read_guest_order_token(token: str, max_age_seconds: int | None = None) -> tuple[int, str] | None:
    """(order id, email) of a valid token, None for anything forged, mangled or too old."""
    from django.core import signing

    try:
        data = signing.loads(token, salt=GUEST_ORDER_SALT, max_age=max_age_seconds)
        return int(data["o"]), str(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def guest_order_path(order_id: int, email: str) -> str:
    """The API path of a guest's order (on PUBLIC_BASE_URL)."""
    return f"/api/v1/guest-orders/{guest_order_token(order_id, email)}/"


@event
class OrderClaimed(Event):
    """A guest's order found its account (the customer registered with the order's email):
    from now on it is that customer's, in every context that keeps an owner."""

    order_id: int
    customer_id: int
    email: str


# The messages notifications sends a customer about an order (their `order` context names it),
# which operations may send again from the order's page. notifications' catalogue holds each
# (tests/notifications/test_resend_from_order.py checks it).
ORDER_MESSAGE_TYPES: tuple[tuple[str, str], ...] = (
    ("order_confirmation", "Order confirmation"),
    ("payment_failed", "Payment failed"),
    ("payment_action_required", "Payment needs the customer's action"),
    ("order_cancelled", "Order cancelled"),
    ("order_amended", "Order amended"),
    ("refund_issued", "Refund issued"),
    ("shipment_dispatched", "Shipment dispatched"),
    ("shipment_in_transit", "Shipment in transit"),
    ("shipment_delivered", "Shipment delivered"),
    ("delivery_failed", "Delivery failed"),
    ("return_label", "Return label"),
    ("return_received", "Return received"),
)


@event
class NotificationResendRequested(Event):
    """Operations asked, from the order's page, for one of the order's messages to be sent
    again (the customer lost it, or it bounced). orders keeps who, when and why (its
    StaffAction); notifications resends its latest message of that type about the order as
    a new message, once per request (the original keeps its own story)."""

    order_id: int
    message_type: str  # one of ORDER_MESSAGE_TYPES
    requested_by: str  # the staff user's email
    staff_user_id: int | None
    reason: str


@event
class VoucherRedeemed(Event):
    """Checkout consumed one use of a voucher for this order (orders keeps the counters;
    promotions shows them)."""

    voucher_id: int
    code: str
    order_id: int
    customer_id: int | None
    discount: Money  # what the voucher took off this order (goods; free shipping: the shipping)


@event
class VoucherReleased(Event):
    """The order was released (cancelled, payment failed, expired): its use is given back, once."""

    voucher_id: int
    code: str
    order_id: int
    reason: str
