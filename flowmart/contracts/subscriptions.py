"""Subscriptions events: Subscribe & Save. Payments keeps the payment method for
off-session renewals; orders turns due renewals into ordinary orders; notifications
tells the customer about each step."""

from datetime import datetime

from flowmart.common.money import Money
from flowmart.events.base import Event, event, value

from .common import Address


@event
class UserSubscriptionStarted(Event):
    """Payments saves the payment method for off-session renewals."""

    subscription_id: int
    customer_id: int
    customer_email: str
    plan_id: int
    sku: str
    quantity: int
    provider: str
    payment_method: str
    plan_name: str = ""
    interval: str = ""  # day | week | month
    interval_count: int = 1
    renewal_price: Money | None = None  # the price of one renewal at today's price and discount
    next_billing_at: datetime | None = None


@event
class UserSubscriptionCancelled(Event):
    """Orders cancels the subscription's renewal orders that are still pending."""

    subscription_id: int
    customer_id: int
    reason: str = "customer_request"  # customer_request | payment_failed | operations | product_retired
    customer_email: str = ""


@value
class RenewalLine:
    """One subscription's cycle inside a grouped renewal order, with its plan's discount."""

    subscription_id: int
    cycle: int
    attempt: int
    sku: str
    quantity: int
    discount_percent: int


@event
class SubscriptionRenewalDue(Event):
    """Orders creates ONE renewal order for `lines` through the usual saga: one customer's
    renewals due the same day to the same address (and payment method) are one order, one
    charge, one shipment, each line with its own plan's discount (delivery-day grouping).
    `renewal_key` names this billing attempt of these lines; orders makes one order per key.

    Version 2. Version 1 carried one subscription's cycle (subscription_id, cycle, sku,
    quantity, discount_percent); `upgrade` reads such a payload still in flight as a
    one-line renewal of attempt 1."""

    version = 2

    renewal_key: str
    customer_id: int
    customer_email: str
    lines: tuple[RenewalLine, ...]
    shipping_address: Address
    shipping_method: str
    provider: str
    payment_method: str

    @classmethod
    def upgrade(cls, data: dict) -> dict:
        if data.get("version", 1) >= 2:
            return data
        line = {k: data[k] for k in ("subscription_id", "cycle", "sku", "quantity", "discount_percent")}
        rest = {k: v for k, v in data.items() if k not in line}
        key = f"{data['subscription_id']}-{data['cycle']}-1"
        return {**rest, "version": 2, "renewal_key": key, "lines": [{**line, "attempt": 1}]}


@event
class SubscriptionRenewalUpcoming(Event):
    """A reminder, sent a configurable lead time before a renewal is billed."""

    subscription_id: int
    customer_id: int
    customer_email: str
    sku: str
    quantity: int
    renews_at: datetime
    amount: Money
    plan_name: str = ""


@event
class SubscriptionRenewalFailed(Event):
    """A renewal could not be billed (payment failed or needs the customer) or could
    not be filled (stock short, or the product retired: that cycle is skipped, no retry).
    The subscription is past_due or retried later."""

    subscription_id: int
    customer_id: int
    customer_email: str
    cycle: int
    attempt: int
    reason: str  # payment_failed | authentication_required | out_of_stock | product_retired
    failure_code: str | None = None
    next_retry_at: datetime | None = None  # None: no automatic retry is left
    action_url: str | None = None  # where the customer authenticates or updates the card


@event
class SubscriptionRenewed(Event):
    """A renewal cycle was paid: the subscription is active until next_billing_at."""

    subscription_id: int
    customer_id: int
    customer_email: str
    cycle: int
    order_id: int
    next_billing_at: datetime


@event
class SubscriptionChanged(Event):
    """Paused, resumed, skipped, quantity/plan/variant/address/payment changed (sent whole)."""

    subscription_id: int
    customer_id: int
    status: str  # active | paused | past_due | cancelled
    sku: str
    quantity: int
    change: str  # paused | resumed | skipped | quantity | plan | variant | address | payment_method | ship_now
    next_billing_at: datetime | None = None
    provider: str = ""
    payment_method: str = ""
