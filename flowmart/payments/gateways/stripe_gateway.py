"""The Stripe provider through the official SDK (StripeClient).

Every POST carries an idempotency key derived from our attempt/refund, and the SDK
retries timeouts, connection errors and 5xx with that same key (max_network_retries),
so a call that timed out after Stripe charged returns the same intent: one charge.
Card errors become our failure codes; what stays unreachable after the retries is a
GatewayError, which rolls the caller's transaction back for a later, equally safe retry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import stripe
from django.conf import settings

from flowmart.common.money import Money, minor_units

from .base import (
    ChargeOutcome,
    ChargeRequest,
    GatewayError,
    PaymentMethodInfo,
    ProviderCharge,
    ProviderRefused,
    RefundOutcome,
)

DECLINE_CODES = {"insufficient_funds", "fraudulent", "lost_card", "stolen_card", "do_not_honor", "pickup_card"}


def to_minor(money: Money) -> int:
    return int(money.amount.scaleb(minor_units(money.currency)))


def from_minor(value: int, currency: str) -> Money:
    currency = currency.upper()
    return Money(Decimal(value).scaleb(-minor_units(currency)), currency)


def failure_code_for(error: dict | None) -> str:
    """Stripe's error code / decline code → our failure code."""
    error = error or {}
    decline, code = error.get("decline_code"), error.get("code")
    if decline in DECLINE_CODES:
        return decline
    if code in ("authentication_required", "payment_intent_authentication_failure"):
        return "authentication_required"
    if error.get("type") == "card_error" or code == "card_declined":
        return "card_declined"
    return "processing_error"


class StripeGateway:
    name = "stripe"

    def __init__(self, client: stripe.StripeClient):
        self.client = client

    @classmethod
    def from_settings(cls) -> StripeGateway:
        base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
        timeout = settings.STRIPE_TIMEOUT_SECONDS
        client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses=base,
            max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=timeout),
        )
        return cls(client)

    def describe_payment_method(self, payment_method: str) -> PaymentMethodInfo:
        try:
            pm = _plain(self.client.v1.payment_methods.retrieve(payment_method))
        except stripe.InvalidRequestError:
            return PaymentMethodInfo(payment_method=payment_method)
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc
        card = pm.get("card") or {}
        return PaymentMethodInfo(
            payment_method=payment_method,
            brand=card.get("brand") or "",
            last4=card.get("last4") or "",
            country=card.get("country") or "",
            fingerprint=card.get("fingerprint") or "",
        )

    def create_and_confirm(self, request: ChargeRequest) -> ChargeOutcome:
        params = {
            "amount": to_minor(request.amount),
            "currency": request.amount.currency.lower(),
            "payment_method": request.payment_method,
            "payment_method_types": ["card"],
            "confirm": True,
            "description": request.description,
            "metadata": {k: str(v) for k, v in request.metadata.items()},
        }
        if request.customer_ref:
            params["customer"] = request.customer_ref
        if request.capture_later:
            params["capture_method"] = "manual"
        if request.off_session:
            params["off_session"] = True
        elif request.save_for_future and request.customer_ref:
            params["setup_future_usage"] = "off_session"
        try:
            intent = _plain(self.client.v1.payment_intents.create(params, {"idempotency_key": request.idempotency_key}))
        except stripe.CardError as exc:
            body = (exc.json_body or {}).get("error") or {}
            failed = body.get("payment_intent") or {}
            return ChargeOutcome(
                status="failed",
                intent_id=failed.get("id"),
                amount=request.amount,
                failure_code=failure_code_for(body),
            )
        except stripe.InvalidRequestError as exc:
            body = (exc.json_body or {}).get("error") or {}
            return ChargeOutcome(
                status="failed", intent_id=None, amount=request.amount, failure_code=failure_code_for(body)
            )
        except stripe.StripeError as exc:  # connection, 5xx, rate limit: still failing after the SDK's retries
            raise GatewayError(str(exc)) from exc
        return self.outcome(intent)

    def retrieve(self, intent_id: str) -> ChargeOutcome:
        return self.outcome(self._call(self.client.v1.payment_intents.retrieve, intent_id))

    def capture(self, intent_id: str, amount: Money | None = None) -> ChargeOutcome:
        params = {} if amount is None else {"amount_to_capture": to_minor(amount)}
        key = f"flowmart-capture-{intent_id}"
        return self.outcome(
            self._call(self.client.v1.payment_intents.capture, intent_id, params, {"idempotency_key": key})
        )

    def cancel(self, intent_id: str) -> ChargeOutcome:
        intent = self._call(self.client.v1.payment_intents.retrieve, intent_id)
        if intent["status"] in (
            "requires_action",
            "requires_payment_method",
            "requires_confirmation",
            "requires_capture",
        ):
            intent = self._call(self.client.v1.payment_intents.cancel, intent_id)
        return self.outcome(intent)

    def refund(self, intent_id: str, amount: Money, idempotency_key: str, reason: str = "") -> RefundOutcome:
        params = {"payment_intent": intent_id, "amount": to_minor(amount), "metadata": {"reason": reason}}
        refund = self._call(self.client.v1.refunds.create, params, {"idempotency_key": idempotency_key})
        return RefundOutcome(refund["id"], from_minor(refund["amount"], refund["currency"]), refund.get("status", ""))

    def ensure_customer(self, customer_id: int, email: str) -> str:
        customer = self._call(
            self.client.v1.customers.create,
            {"email": email, "metadata": {"flowmart_customer_id": str(customer_id)}},
            {"idempotency_key": f"flowmart-customer-{customer_id}"},
        )
        return customer["id"]

    def save_payment_method(self, customer_id: int, email: str, payment_method: str) -> str:
        ref = self.ensure_customer(customer_id, email)
        self._call(
            self.client.v1.payment_methods.attach,
            payment_method,
            {"customer": ref},
            {"idempotency_key": f"flowmart-attach-{ref}-{payment_method}"},
        )
        return ref

    def list_charges(self, since: datetime) -> list[ProviderCharge]:
        created = {"gte": int(since.timestamp())}
        refunded: dict[str, int] = {}
        for refund in self._list(self.client.v1.refunds.list, {"created": created, "limit": 100}):
            if refund.get("status") in (None, "succeeded", "pending"):
                key = refund["payment_intent"]
                refunded[key] = refunded.get(key, 0) + refund["amount"]
        intents = self._list(self.client.v1.payment_intents.list, {"created": created, "limit": 100})
        return [
            ProviderCharge(
                intent_id=i["id"],
                status=i["status"],
                amount_captured=from_minor(i.get("amount_received") or 0, i["currency"]),
                amount_refunded=from_minor(refunded.get(i["id"], 0), i["currency"]),
                created=datetime.fromtimestamp(i["created"], tz=UTC) if i.get("created") else None,
            )
            for i in intents
        ]

    @staticmethod
    def _list(method, params) -> list[dict]:
        try:
            return [_plain(item) for item in method(params).auto_paging_iter()]
        except stripe.StripeError as exc:
            raise GatewayError(f"{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _call(method, *args):
        try:
            return _plain(method(*args))
        except (stripe.CardError, stripe.InvalidRequestError) as exc:
            raise ProviderRefused(f"{type(exc).__name__}: {exc}") from exc
        except stripe.StripeError as exc:
            raise GatewayError(f"{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def outcome(intent) -> ChargeOutcome:
        """A PaymentIntent (SDK object or webhook dict) as our ChargeOutcome."""
        status = intent["status"]
        amount = from_minor(intent["amount"], intent["currency"])
        if status == "succeeded":
            return ChargeOutcome(
                status="succeeded",
                intent_id=intent["id"],
                amount=from_minor(intent.get("amount_received") or intent["amount"], intent["currency"]),
                charge_id=_charge_id(intent.get("latest_charge")),
            )
        if status == "requires_action":
            action = intent.get("next_action") or {}
            url = (action.get("redirect_to_url") or {}).get("url")
            return ChargeOutcome(
                status="requires_action",
                intent_id=intent["id"],
                amount=amount,
                next_action_url=url,
                client_secret=intent.get("client_secret"),
            )
        if status == "requires_payment_method":
            error = intent.get("last_payment_error")
            return ChargeOutcome(
                status="failed", intent_id=intent["id"], amount=amount, failure_code=failure_code_for(error)
            )
        if status == "requires_capture":
            return ChargeOutcome(status="requires_capture", intent_id=intent["id"], amount=amount)
        if status == "canceled":
            return ChargeOutcome(status="canceled", intent_id=intent["id"], amount=amount)
        return ChargeOutcome(status="processing", intent_id=intent["id"], amount=amount)


def _charge_id(latest_charge) -> str:
    if isinstance(latest_charge, str):
        return latest_charge
    return (latest_charge or {}).get("id", "") if latest_charge else ""


def _plain(obj):
    """SDK objects are not dicts in v16: work on plain data (webhook payloads are plain too)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else obj
