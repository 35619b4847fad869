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


@event
class UserSubscriptionCancelled(Event):
    """Orders cancels the subscription's renewal orders that are still pending."""

    subscription_id: int
    customer_id: int


@event
class SubscriptionRenewalDue(Event):
    """Orders creates the renewal order (plan discount applied) through the usual saga."""

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
