"""The gateway protocol: what payments needs from a card provider, with typed results.

Amounts are Money; failures are our own codes (models.FailureCode), never a provider's
exception, so the services above read the same on every provider.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from flowmart.common.money import Money


class GatewayError(Exception):
    """The provider could not be reached or answered unexpectedly (after safe retries)."""


class ProviderRefused(GatewayError):
    """The provider refused the request for good (a 4xx: card error, no such object, amount too large):
    retrying cannot help."""


class ProviderUnavailable(Exception):
    """Unknown provider, or one that is not configured (e.g. stripe without a key)."""


@dataclass(frozen=True)
class PaymentMethodInfo:
    """What the provider tells us about a payment method before we charge it."""

    payment_method: str
    brand: str = ""
    last4: str = ""
    country: str = ""
    fingerprint: str = ""
    risk_signal: bool = False  # the provider's own fraud signal (e.g. Radar would block it)


@dataclass(frozen=True)
class ChargeRequest:
    amount: Money
    payment_method: str
    idempotency_key: str
    customer_ref: str = ""  # provider customer id, for saved methods and off-session charges
    off_session: bool = False
    save_for_future: bool = False
    capture_later: bool = False  # authorise only (status requires_capture); capture() moves the money
    description: str = ""
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ChargeOutcome:
    """The state of one intent at the provider: what `settle_payment` consumes."""

    status: str  # succeeded | requires_action | requires_capture | failed | processing | canceled
    intent_id: str | None
    amount: Money
    charge_id: str = ""
    failure_code: str | None = None
    next_action_url: str | None = None  # where the customer authenticates (a redirect)
    client_secret: str | None = None  # or: what Stripe.js needs to authenticate in the page
    brand: str = ""
    last4: str = ""


@dataclass(frozen=True)
class RefundOutcome:
    refund_id: str
    amount: Money
    status: str = "succeeded"


@dataclass(frozen=True)
class ProviderCharge:
    """A row of the provider's records, for reconciliation."""

    intent_id: str
    status: str
    amount_captured: Money
    amount_refunded: Money
    created: datetime | None = None


class Gateway(Protocol):
    name: str

    def describe_payment_method(self, payment_method: str) -> PaymentMethodInfo: ...

    def create_and_confirm(self, request: ChargeRequest) -> ChargeOutcome: ...

    def retrieve(self, intent_id: str) -> ChargeOutcome: ...

    def cancel(self, intent_id: str) -> ChargeOutcome: ...

    def capture(self, intent_id: str, amount: Money | None = None) -> ChargeOutcome:
        """Capture an authorised intent (all of it, or less)."""
        ...

    def refund(self, intent_id: str, amount: Money, idempotency_key: str, reason: str = "") -> RefundOutcome: ...

    def ensure_customer(self, customer_id: int, email: str) -> str:
        """Create (idempotently) the provider's customer for one of ours; returns its ref."""
        ...

    def save_payment_method(self, customer_id: int, email: str, payment_method: str) -> str:
        """Attach the method to the customer for off-session use; returns the customer ref."""
        ...

    def list_charges(self, since: datetime) -> list[ProviderCharge]: ...
