"""The message catalogue: every message FlowMart sends, its category, its audience and the
channels it may use. docs/notifications.md prints the same table for people.

Categories are essential (order, payment, security and subscription messages: always
emailed, whatever the preferences say) or optional (the customer's `email`/`sms`/`push`
switches and the per-category switches decide, and every such email carries a one-click
unsubscribe link). SMS and push always need the customer's own opt-in for that channel.
"""

from __future__ import annotations

from dataclasses import dataclass

EMAIL, SMS, PUSH = "email", "sms", "push"
CUSTOMER, SELLER, OPERATIONS = "customer", "seller", "operations"


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    essential: bool
    default: bool = True  # for optional categories: on unless the customer turns it off


CATEGORIES = {
    c.name: c
    for c in [
        Category("order", "Orders, returns and refunds", essential=True),
        Category("payment", "Payments", essential=True),
        Category("security", "Account security", essential=True),
        Category("subscription", "Subscribe & Save", essential=True),
        Category("shipping", "Shipping updates", essential=False),
        Category("back_in_stock", "Back-in-stock alerts", essential=False),
        Category("marketing", "Offers and news", essential=False, default=False),
        Category("seller", "Seller notices", essential=True),
        Category("operations", "Operations alerts", essential=True),
    ]
}
# The categories a customer may switch (preferences API, unsubscribe links).
OPTIONAL_CATEGORIES = [name for name, c in CATEGORIES.items() if not c.essential]


@dataclass(frozen=True)
class MessageType:
    name: str
    category: str
    channels: tuple[str, ...]
    audience: str = CUSTOMER

    @property
    def essential(self) -> bool:
        return CATEGORIES[self.category].essential


MESSAGE_TYPES = {
    t.name: t
    for t in [
        MessageType("order_confirmation", "order", (EMAIL, PUSH)),
        MessageType("payment_failed", "payment", (EMAIL, PUSH, SMS)),
        MessageType("payment_action_required", "payment", (EMAIL, PUSH, SMS)),
        MessageType("order_cancelled", "order", (EMAIL, PUSH)),
        MessageType("order_amended", "order", (EMAIL,)),
        MessageType("refund_issued", "payment", (EMAIL, PUSH)),
        MessageType("shipment_dispatched", "shipping", (EMAIL, PUSH, SMS)),
        MessageType("shipment_in_transit", "shipping", (EMAIL, PUSH)),
        MessageType("shipment_delivered", "shipping", (EMAIL, PUSH, SMS)),
        MessageType("delivery_failed", "shipping", (EMAIL, PUSH, SMS)),
        MessageType("return_label", "order", (EMAIL,)),
        MessageType("return_received", "order", (EMAIL, PUSH)),
        MessageType("subscription_started", "subscription", (EMAIL,)),
        MessageType("subscription_renewal_upcoming", "subscription", (EMAIL, PUSH)),
        MessageType("subscription_renewal_failed", "payment", (EMAIL, PUSH, SMS)),
        MessageType("subscription_cancelled", "subscription", (EMAIL,)),
        MessageType("back_in_stock", "back_in_stock", (EMAIL, PUSH, SMS)),
        MessageType("contact_changed", "security", (EMAIL,)),
        MessageType("password_reset", "security", (EMAIL,)),
        MessageType("email_change_confirmation", "security", (EMAIL,)),
        MessageType("password_changed", "security", (EMAIL,)),
        MessageType("stock_digest", "seller", (EMAIL,), audience=SELLER),
        MessageType("fraud_review", "operations", (EMAIL,), audience=OPERATIONS),
        MessageType("payment_disputed", "operations", (EMAIL,), audience=OPERATIONS),
        MessageType("dead_deliveries", "operations", (EMAIL,), audience=OPERATIONS),
    ]
}


def message_type(name: str) -> MessageType:
    return MESSAGE_TYPES[name]
