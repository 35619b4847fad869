import re

from django.conf import settings
from rest_framework import serializers

from flowmart.common.guards import CARD_MESSAGE, contains_card_number
from flowmart.common.money import Money
from flowmart.events.base import Event, event

# --- Payment-method ids: what orders accepts at checkout and payments charges -------------
# Card data never touches FlowMart, only a provider's id for it. The dummy provider knows
# exactly the Stripe test ids it simulates (API.md); Stripe takes the id of a PaymentMethod
# (pm_...), a Card (card_...) or a compatible Source (src_...) object.
DUMMY_PAYMENT_METHODS = (
    "pm_card_visa",
    "pm_card_mastercard",
    "pm_card_amex",
    "pm_card_gb",
    "pm_card_chargeDeclined",
    "pm_card_chargeDeclinedInsufficientFunds",
    "pm_card_authenticationRequired",
    "pm_card_radarBlock",
    "pm_card_chargeDeclinedLostCard",
    "pm_card_chargeDeclinedStolenCard",
)
STRIPE_PAYMENT_METHOD_ID = re.compile(r"^(?:pm|card|src)_[A-Za-z0-9_]{1,250}$")


PAYMENT_METHOD_HINTS = {
    "dummy": "The dummy provider takes one of its test ids: " + ", ".join(DUMMY_PAYMENT_METHODS) + ".",
    "stripe": "Must be a Stripe payment method id (pm_..., card_... or src_...).",
}


def is_payment_method_id(provider: str, value: str) -> bool:
    if provider == "dummy":
        return value in DUMMY_PAYMENT_METHODS
    if provider == "stripe":
        return bool(STRIPE_PAYMENT_METHOD_ID.match(value))
    return False


class PaymentSerializer(serializers.Serializer):
    """`payment: {provider, payment_method}` as clients send it to checkout and to subscriptions:
    one shape and one set of checks wherever a customer names how they pay."""

    provider = serializers.ChoiceField(choices=["dummy", "stripe"])
    payment_method = serializers.CharField(max_length=255, trim_whitespace=False)

    def validate_provider(self, value):
        if value == "stripe" and not settings.STRIPE_SECRET_KEY:
            raise serializers.ValidationError("The stripe provider is not configured here.")
        return value

    def validate_payment_method(self, value):
        # Never echo the value: it might be card data, which must not be stored or logged.
        # (The API's input guard refuses card numbers before any view; this is the second lock.)
        if contains_card_number(value):
            raise serializers.ValidationError(CARD_MESSAGE)
        return value

    def validate(self, attrs):
        if not is_payment_method_id(attrs["provider"], attrs["payment_method"]):
            raise serializers.ValidationError({"payment_method": [PAYMENT_METHOD_HINTS[attrs["provider"]]]})
        return attrs


@event
class PaymentProcessed(Event):
    """The outcome of a charge. failure_code on failure: card_declined,
    insufficient_funds, authentication_required, fraudulent, processing_error."""

    order_id: int
    payment_id: int
    status: str  # succeeded | failed
    amount: Money
    provider: str
    failure_code: str | None = None
    subscription_id: int | None = None
    amendment_id: str | None = None  # set when this is the extra charge of an OrderAmended
    renewal_key: str | None = None  # a subscription renewal order's key (PaymentInitiated.renewal_key)


@event
class PaymentActionRequired(Event):
    """The customer must authenticate (3-D Secure); the order stays awaiting_payment.
    The client either sends the customer to `next_action_url` (the dummy provider's page,
    a bank's redirect) or hands `client_secret` to Stripe.js (handleNextAction)."""

    order_id: int
    payment_id: int
    next_action_url: str | None = None
    client_secret: str | None = None
    provider: str = ""


@event
class PaymentHeldForReview(Event):
    """Fraud screening asks a human to look: orders puts the order on_hold."""

    order_id: int
    payment_id: int
    score: int
    reasons: tuple[str, ...]


@event
class PaymentRefunded(Event):
    """Money went back to the customer: through FlowMart (reason: order_cancelled, return,
    amendment, ...) or at the provider directly (reason "provider", e.g. a refund made on
    Stripe's dashboard). fully_refunded: nothing of the payment is left to refund, so an
    order that has not shipped must not ship."""

    order_id: int
    payment_id: int
    refund_id: int
    amount: Money
    reason: str
    reference: str = ""
    fully_refunded: bool = False


@event
class PaymentDisputed(Event):
    """The customer's bank opened a dispute: orders puts the order on_hold."""

    order_id: int
    payment_id: int
    amount: Money
    reason: str


# --- Seller settlements and payouts (docs/settlements.md) --------------------------------


@event
class SellerVerificationChanged(Event):
    """A seller's KYC status changed (unverified | pending | verified | rejected): from Stripe
    Connect onboarding (source "stripe") or set by operations (source "operations", with why).
    Only a verified seller is paid out."""

    seller_id: int
    status: str
    previous_status: str
    source: str
    reason: str = ""


@event
class SellerPayoutPaid(Event):
    """A seller's balance for `period` was paid: by a Stripe Connect transfer (`reference` is
    the transfer id) or marked paid by bank transfer by operations (their reference)."""

    seller_id: int
    payout_id: int
    period: str
    amount: Money
    method: str  # stripe_transfer | bank_transfer
    reference: str = ""
