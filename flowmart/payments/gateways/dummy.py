"""The dummy provider: no network, deterministic, and honouring Stripe's test
payment-method ids, so a flow behaves the same on either provider. It keeps its
intents in the database: idempotent per key and reconcilable like a real provider."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from flowmart.common.money import Money

from ..models import DummyCustomer, DummyIntent, DummyRefund
from ..models.rows import insert_new
from .base import (
    ChargeOutcome,
    ChargeRequest,
    PaymentMethodInfo,
    ProviderCharge,
    ProviderRefused,
    RefundOutcome,
)


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    country: str
    outcome: str  # succeed | decline | authenticate
    failure_code: str | None = None
    risk_signal: bool = False


TEST_CARDS = {
    "pm_card_visa": TestCard("visa", "4242", "US", "succeed"),
    "pm_card_mastercard": TestCard("mastercard", "4444", "US", "succeed"),
    "pm_card_amex": TestCard("amex", "8431", "US", "succeed"),
    "pm_card_gb": TestCard("visa", "0002", "GB", "succeed"),
    "pm_card_chargeDeclined": TestCard("visa", "0002", "US", "decline", "card_declined"),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard("visa", "9995", "US", "decline", "insufficient_funds"),
    "pm_card_authenticationRequired": TestCard("visa", "3184", "US", "authenticate"),
    "pm_card_chargeDeclinedLostCard": TestCard("visa", "9987", "US", "decline", "lost_card"),
    "pm_card_chargeDeclinedStolenCard": TestCard("visa", "9979", "US", "decline", "stolen_card"),
    "pm_card_radarBlock": TestCard("visa", "0019", "US", "decline", "fraudulent", risk_signal=True),
}
UNKNOWN_CARD = TestCard("", "", "", "decline", "card_declined")


def authentication_url(intent_id: str) -> str:
    """The dummy provider's own 3-D Secure page for an intent (served by this process, so the
    whole flow can be clicked through locally): what Stripe's hosted page is for Stripe."""
    path = reverse("dummy-provider-authenticate", kwargs={"intent_id": intent_id})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def _id(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class DummyGateway:
    """Each mutating call is atomic on its own, like a provider's API call."""

    name = "dummy"

    def describe_payment_method(self, payment_method: str) -> PaymentMethodInfo:
        card = TEST_CARDS.get(payment_method, UNKNOWN_CARD)
        return PaymentMethodInfo(
            payment_method=payment_method,
            brand=card.brand,
            last4=card.last4,
            country=card.country,
            fingerprint=_id("fp", payment_method)[:19] if card.brand else "",
            risk_signal=card.risk_signal,
        )

    def create_and_confirm(self, request: ChargeRequest) -> ChargeOutcome:
        """Idempotent per key: one INSERT … ON CONFLICT DO NOTHING (atomic on its own, so no
        savepoint); a key seen before returns the intent it made, whatever this request says."""
        intent = self._new_intent(request)
        if not insert_new(intent, "idempotency_key"):
            intent = DummyIntent.objects.get(idempotency_key=request.idempotency_key)
        return self._outcome(intent)

    def _new_intent(self, request: ChargeRequest) -> DummyIntent:
        """The intent this request makes at its first sight (not saved)."""
        card = TEST_CARDS.get(request.payment_method, UNKNOWN_CARD)
        status, failure, received = "succeeded", "", request.amount.amount
        if request.capture_later:
            status, received = "requires_capture", 0
        if card.outcome == "decline":
            status, failure, received = "requires_payment_method", card.failure_code or "card_declined", 0
        elif card.outcome == "authenticate":
            # Off-session nobody can authenticate: Stripe fails it with authentication_required.
            status, received = ("requires_payment_method", 0) if request.off_session else ("requires_action", 0)
            failure = "authentication_required" if request.off_session else ""
        return DummyIntent(
            intent_id=_id("dpi", request.idempotency_key),
            idempotency_key=request.idempotency_key,
            amount=request.amount.amount,
            currency=request.amount.currency,
            payment_method=request.payment_method,
            customer_ref=request.customer_ref,
            off_session=request.off_session,
            capture_later=request.capture_later,
            status=status,
            failure_code=failure,
            amount_received=received,
        )

    def retrieve(self, intent_id: str) -> ChargeOutcome:
        return self._outcome(self._intent(intent_id))

    @transaction.atomic
    def cancel(self, intent_id: str) -> ChargeOutcome:
        intent = self._intent(intent_id)
        if intent.status in ("requires_action", "requires_payment_method", "requires_capture"):
            intent.status = "canceled"
            intent.save(update_fields=["status"])
        return self._outcome(intent)

    @transaction.atomic
    def capture(self, intent_id: str, amount: Money | None = None) -> ChargeOutcome:
        intent = DummyIntent.objects.select_for_update().get(intent_id=intent_id)
        if intent.status == "requires_capture":
            captured = intent.amount if amount is None else amount.amount
            if captured > intent.amount:
                raise ProviderRefused(f"cannot capture {captured} of {intent.amount} on {intent_id}")
            intent.status, intent.amount_received = "succeeded", captured
            intent.save(update_fields=["status", "amount_received"])
        return self._outcome(intent)

    @transaction.atomic
    def complete_authentication(self, intent_id: str, succeed: bool = True) -> ChargeOutcome:
        """The customer passes (or fails) 3-D Secure: what Stripe's hosted page would do."""
        intent = self._intent(intent_id)
        if intent.status == "requires_action":
            if succeed and intent.capture_later:
                intent.status = "requires_capture"
            elif succeed:
                intent.status, intent.amount_received = "succeeded", intent.amount
            else:
                intent.status, intent.failure_code = "requires_payment_method", "authentication_required"
            intent.save(update_fields=["status", "amount_received", "failure_code"])
        return self._outcome(intent)

    @transaction.atomic
    def refund(self, intent_id: str, amount: Money, idempotency_key: str, reason: str = "") -> RefundOutcome:
        existing = DummyRefund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return RefundOutcome(existing.refund_id, Money(existing.amount, amount.currency))
        intent = DummyIntent.objects.select_for_update().get(intent_id=intent_id)
        if intent.status != "succeeded" or amount.amount > intent.amount_received - intent.amount_refunded:
            raise ProviderRefused(f"cannot refund {amount} on {intent_id}")
        refund = DummyRefund.objects.create(
            refund_id=_id("dre", idempotency_key), idempotency_key=idempotency_key, intent=intent, amount=amount.amount
        )
        intent.amount_refunded += amount.amount
        intent.save(update_fields=["amount_refunded"])
        return RefundOutcome(refund.refund_id, amount)

    @transaction.atomic
    def ensure_customer(self, customer_id: int, email: str) -> str:
        key = f"flowmart-customer-{customer_id}"
        customer, _ = DummyCustomer.objects.get_or_create(
            idempotency_key=key, defaults={"customer_ref": _id("dcus", key), "email": email}
        )
        return customer.customer_ref

    @transaction.atomic
    def save_payment_method(self, customer_id: int, email: str, payment_method: str) -> str:
        if TEST_CARDS.get(payment_method, UNKNOWN_CARD).outcome == "decline":
            raise ProviderRefused(f"{payment_method} cannot be saved: the card is declined")
        ref = self.ensure_customer(customer_id, email)
        customer = DummyCustomer.objects.select_for_update().get(customer_ref=ref)
        if payment_method not in customer.payment_methods:
            customer.payment_methods = [*customer.payment_methods, payment_method]
            customer.save(update_fields=["payment_methods"])
        return ref

    def list_charges(self, since: datetime) -> list[ProviderCharge]:
        return [
            ProviderCharge(
                intent_id=i.intent_id,
                status=i.status,
                amount_captured=Money(i.amount_received, i.currency),
                amount_refunded=Money(i.amount_refunded, i.currency),
                created=i.created_at,
            )
            for i in DummyIntent.objects.filter(created_at__gte=since).order_by("id")
        ]

    def _intent(self, intent_id: str) -> DummyIntent:
        try:
            return DummyIntent.objects.get(intent_id=intent_id)
        except DummyIntent.DoesNotExist:
            raise ProviderRefused(f"no such intent {intent_id}") from None

    @staticmethod
    def _outcome(intent: DummyIntent) -> ChargeOutcome:
        card = TEST_CARDS.get(intent.payment_method, UNKNOWN_CARD)
        status = {"requires_payment_method": "failed"}.get(intent.status, intent.status)
        return ChargeOutcome(
            status=status,
            intent_id=intent.intent_id,
            amount=Money(intent.amount_received if status == "succeeded" else intent.amount, intent.currency),
            charge_id=intent.intent_id.replace("dpi_", "dch_") if status == "succeeded" else "",
            failure_code=intent.failure_code or None,
            next_action_url=authentication_url(intent.intent_id) if status == "requires_action" else None,
            brand=card.brand,
            last4=card.last4,
        )
