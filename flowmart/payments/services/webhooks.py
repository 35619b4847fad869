"""Stripe webhooks: verify over the raw bytes, store once per Stripe event id, then
process asynchronously and idempotently through the same services as the sync path.

Webhooks arrive late, twice and out of order. Every handler re-reads our state under
the Payment row lock and only moves it forward (settle_payment refuses stale outcomes;
charge.refunded books the capture it implies before the refund), so any arrival order
ends in the same final state.
"""

import json
import logging
import time
from datetime import timedelta

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..gateways import ChargeOutcome
from ..gateways.stripe_gateway import StripeGateway, from_minor
from ..models import Payment, PaymentAttempt, StripeWebhookEvent
from . import charging, kyc, refunds, settlements

logger = logging.getLogger("flowmart.payments")
RETRY_WINDOW = timedelta(hours=1)  # an event for an intent we do not know yet may be early
# A signed event must have been signed within this many seconds of now, in either direction:
# the SDK refuses old timestamps (replays) but not ones from the future.
TIMESTAMP_TOLERANCE_SECONDS = 300


class InvalidWebhook(Exception):
    pass


class NotYet(Exception):
    """The intent is not in our books yet (its transaction may not have committed)."""


def receive(raw_body: bytes, signature: str | None) -> StripeWebhookEvent | None:
    """Verify and store. Returns the new inbox row, or None for a duplicate."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret or not signature:
        raise InvalidWebhook("missing signature or webhook secret")
    try:
        stripe.Webhook.construct_event(raw_body, signature, secret, tolerance=TIMESTAMP_TOLERANCE_SECONDS)
        payload = json.loads(raw_body)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise InvalidWebhook(str(exc)) from exc
    _refuse_future_timestamp(signature)
    if not isinstance(payload, dict) or not payload.get("id") or not payload.get("type"):
        raise InvalidWebhook("not a Stripe event")
    try:
        with transaction.atomic():
            row = StripeWebhookEvent.objects.create(
                stripe_event_id=payload["id"], type=payload["type"], payload=payload, raw_body=raw_body.decode()
            )
            transaction.on_commit(lambda: _enqueue(row.pk))
    except IntegrityError:
        return None
    return row


def _refuse_future_timestamp(signature: str) -> None:
    """The signature is valid, so its t= is Stripe's; it must not lie ahead of our clock."""
    stamps = [part.strip()[2:] for part in signature.split(",") if part.strip().startswith("t=")]
    try:
        signed_at = int(stamps[0].strip())
    except (IndexError, ValueError):
        raise InvalidWebhook("no timestamp in the signature header") from None
    if signed_at > time.time() + TIMESTAMP_TOLERANCE_SECONDS:
        raise InvalidWebhook(f"timestamp {signed_at} is more than {TIMESTAMP_TOLERANCE_SECONDS} s in the future")


def _enqueue(event_pk: int) -> None:
    from ..tasks import process_stripe_event

    try:
        process_stripe_event.delay(event_pk)
    except Exception as exc:  # broker down: the beat sweep picks the row up
        logger.warning("could not enqueue webhook %s (%s); the sweep will process it", event_pk, exc)


def process(event_pk: int) -> str:
    with transaction.atomic():
        row = StripeWebhookEvent.objects.select_for_update(skip_locked=True).filter(pk=event_pk).first()
        if row is None or row.processed_at is not None:
            return "skipped"
        row.attempts += 1
        try:
            with transaction.atomic():
                outcome = _dispatch(row.type, (row.payload.get("data") or {}).get("object") or {})
        except NotYet as exc:
            if timezone.now() - row.received_at < RETRY_WINDOW:
                row.outcome = f"waiting: {exc}"
                row.save(update_fields=["attempts", "outcome"])
                return "waiting"
            outcome = f"unmatched: {exc}"
        row.outcome, row.processed_at = outcome[:200], timezone.now()
        row.save(update_fields=["attempts", "outcome", "processed_at"])
        return outcome


def _attempt(intent_id: str | None, obj: dict) -> PaymentAttempt:
    attempt = PaymentAttempt.objects.filter(provider_intent_id=intent_id).first() if intent_id else None
    if attempt is None:
        order_id = (obj.get("metadata") or {}).get("order_id")
        if order_id and Payment.objects.select_for_update().filter(order_id=order_id).exists():
            # waited for a concurrent sync path holding the row; look again
            attempt = PaymentAttempt.objects.filter(provider_intent_id=intent_id).first()
    if attempt is None:
        raise NotYet(f"no attempt for intent {intent_id}")
    return attempt


def _dispatch(event_type: str, obj: dict) -> str:
    if event_type.startswith("payment_intent."):
        if event_type not in HANDLED_INTENT_EVENTS:
            return "ignored"
        attempt = _attempt(obj.get("id"), obj)
        changed = charging.settle_payment(StripeGateway.outcome(obj), attempt_id=attempt.pk)
        return "settled" if changed else "no change"
    if event_type == "charge.refunded":
        return _charge_refunded(obj)
    if event_type == "charge.dispute.created":
        attempt = _attempt(obj.get("payment_intent"), obj)
        amount = from_minor(obj["amount"], obj["currency"])
        created = refunds.record_dispute(attempt.pk, obj["id"], amount, obj.get("reason") or "")
        return "disputed" if created else "no change"
    if event_type == "charge.dispute.closed":  # a lost dispute is taken back from the sellers
        attempt = _attempt(obj.get("payment_intent"), obj)
        amount = from_minor(obj["amount"], obj["currency"])
        refunds.record_dispute(attempt.pk, obj["id"], amount, obj.get("reason") or "")  # if .created was missed
        return settlements.dispute_closed(obj["id"], obj.get("status") or "")
    if event_type == "account.updated":  # Stripe Connect onboarding: the seller's KYC status
        return kyc.account_updated(obj)
    return "ignored"


HANDLED_INTENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.requires_action",
    "payment_intent.canceled",
}


def _charge_refunded(charge: dict) -> str:
    attempt = _attempt(charge.get("payment_intent"), charge)
    currency = charge["currency"]
    if attempt.status != PaymentAttempt.Status.SUCCEEDED and charge.get("amount_captured"):
        # The refund overtook payment_intent.succeeded: book the capture it implies first.
        captured = ChargeOutcome(
            status="succeeded",
            intent_id=attempt.provider_intent_id,
            amount=from_minor(charge["amount_captured"], currency),
            charge_id=charge.get("id", ""),
        )
        charging.settle_payment(captured, attempt_id=attempt.pk)
    extra = refunds.record_provider_refunds(
        attempt.pk, from_minor(charge.get("amount_refunded") or 0, currency), charge.get("id", "")
    )
    return f"refund booked {extra}" if extra else "no change"


def sweep_unprocessed(limit: int = 200) -> int:
    """Re-drive inbox rows whose processing was lost or is waiting for its payment."""
    ids = list(
        StripeWebhookEvent.objects.filter(processed_at=None)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        process(pk)
    return len(ids)
