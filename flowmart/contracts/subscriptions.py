"""Subscriptions events: Subscribe & Save. Payments keeps the payment method for
off-session renewals; orders turns due renewals into ordinary orders; notifications
tells the customer about each step."""

from datetime import datetime

from flowmart.common.money import Money
from flowmart.events.base import Event, event

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


@event
class SubscriptionRenewalDue(Event):
    """Orders creates the renewal order (plan discount applied) through the usual saga.
    (The subscriptions issue reshapes this into one event per grouped renewal order.)"""

    subscription_id: int
    cycle: int
    customer_id: int
    customer_email: str
    sku: str
    quantity: int
    discount_percent: int
    shipping_address: Address
    shipping_method: str
    provider: str
    payment_method: str


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
    not be filled (stock short). The subscription is past_due or retried later."""

    subscription_id: int
    customer_id: int
    customer_email: str
    cycle: int
    attempt: int
    reason: str  # payment_failed | authentication_required | out_of_stock
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
