"""POST /api/v1/payments/stripe/webhook/: signatures, dedupe, async idempotent processing, ordering."""

import time

import pytest

from flowmart.payments.models import Dispute, Payment, StripeWebhookEvent

from . import stripe_signing
from .helpers import assert_ledger_balanced, initiated, payment, published, reserved, send

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/payments/stripe/webhook/"


def post(client, body: str, header: str | None):
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header is not None else {}
    return client.generic("POST", URL, body, content_type="application/json", **extra)


def deliver(client, secret, event_type, obj, event_id=None):
    body = stripe_signing.event(event_type, obj, event_id)
    return post(client, body, stripe_signing.sign(body, secret))


def test_signed_event_is_stored_once_and_processed(api_client, webhook_secret):
    body = stripe_signing.event("customer.created", {"id": "cus_1"}, "evt_1")
    response = post(api_client, body, stripe_signing.sign(body, webhook_secret))
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    again = post(api_client, body, stripe_signing.sign(body, webhook_secret))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    row = StripeWebhookEvent.objects.get()
    assert row.stripe_event_id == "evt_1" and row.processed_at is not None and row.outcome == "ignored"
    assert row.raw_body == body  # stored raw: the bytes the signature covers


@pytest.mark.parametrize(
    "variant",
    ["unsigned", "tampered", "expired", "wrong-secret", "garbage-header", "not-json"],
)
def test_bad_signatures_are_rejected_and_nothing_is_stored(api_client, webhook_secret, variant):
    body = stripe_signing.event("payment_intent.succeeded", {"id": "pi_x"}, "evt_bad")
    header = {
        "unsigned": None,
        "tampered": stripe_signing.sign(body, webhook_secret),
        "expired": stripe_signing.sign(body, webhook_secret, timestamp=int(time.time()) - 3600),
        "wrong-secret": stripe_signing.sign(body, "whsec_other"),
        "garbage-header": "nonsense",
        "not-json": stripe_signing.sign("not json", webhook_secret),
    }[variant]
    if variant == "tampered":
        body = body.replace("pi_x", "pi_y")
    if variant == "not-json":
        body = "not json"
    response = post(api_client, body, header)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not StripeWebhookEvent.objects.exists()


def test_no_secret_configured_rejects_everything(api_client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = stripe_signing.event("payment_intent.succeeded", {"id": "pi_x"})
    assert post(api_client, body, stripe_signing.sign(body, "")).status_code == 400


def test_webhook_needs_no_auth_or_csrf(webhook_secret):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    body = stripe_signing.event("ping", {})
    assert post(client, body, stripe_signing.sign(body, webhook_secret)).status_code == 200


def _requires_action_payment(stripe_on, order_id):
    send(initiated(order_id, "pm_card_authenticationRequired", provider="stripe"), reserved(order_id))
    p = payment(order_id)
    assert p.status == Payment.Status.REQUIRES_ACTION
    return p, p.attempts.get().provider_intent_id


def test_succeeded_webhook_completes_authentication(api_client, stripe_on):
    p, intent_id = _requires_action_payment(stripe_on, 401)
    intent = stripe_on.authenticate(intent_id)
    assert deliver(api_client, "whsec_test_flowmart", "payment_intent.succeeded", intent).status_code == 200
    assert deliver(api_client, "whsec_test_flowmart", "payment_intent.succeeded", intent).status_code == 200
    assert [e["status"] for e in published("PaymentProcessed", 401)] == ["succeeded"]
    assert payment(401).status == Payment.Status.SUCCEEDED
    assert_ledger_balanced(401)


def test_payment_failed_webhook_fails_the_payment(api_client, stripe_on):
    p, intent_id = _requires_action_payment(stripe_on, 402)
    intent = dict(stripe_on.intents[intent_id])
    intent.update(
        status="requires_payment_method",
        last_payment_error={"type": "card_error", "code": "payment_intent_authentication_failure"},
    )
    deliver(api_client, "whsec_test_flowmart", "payment_intent.payment_failed", intent)
    assert [(e["status"], e["failure_code"]) for e in published("PaymentProcessed", 402)] == [
        ("failed", "authentication_required")
    ]


def test_requires_action_webhook_is_idempotent_with_the_sync_answer(api_client, stripe_on):
    p, intent_id = _requires_action_payment(stripe_on, 403)
    deliver(api_client, "whsec_test_flowmart", "payment_intent.requires_action", stripe_on.intents[intent_id])
    assert len(published("PaymentActionRequired", 403)) == 1


def _charge(intent, refunded_cents):
    return {
        "id": intent["latest_charge"] or "ch_x",
        "object": "charge",
        "payment_intent": intent["id"],
        "amount": intent["amount"],
        "amount_captured": intent["amount"],
        "amount_refunded": refunded_cents,
        "currency": intent["currency"],
        "refunded": refunded_cents == intent["amount"],
    }


def test_refund_arriving_before_succeeded_ends_refunded(api_client, stripe_on):
    """The customer authenticated and the shop refunded on the dashboard; the webhooks come reversed."""
    p, intent_id = _requires_action_payment(stripe_on, 404)
    intent = stripe_on.authenticate(intent_id)
    stripe_on.refund_outside(intent_id, 5000)
    deliver(api_client, "whsec_test_flowmart", "charge.refunded", _charge(intent, 5000))
    deliver(api_client, "whsec_test_flowmart", "payment_intent.succeeded", intent)
    p = payment(404)
    assert p.status == Payment.Status.REFUNDED
    assert p.captured_amount == p.refunded_amount == p.amount
    assert [e["status"] for e in published("PaymentProcessed", 404)] == ["succeeded"]
    assert [e["reason"] for e in published("PaymentRefunded", 404)] == ["provider"]
    assert_ledger_balanced(404)


def test_our_own_refund_echoed_by_webhook_is_not_booked_twice(api_client, stripe_on):
    from decimal import Decimal

    from flowmart.payments.services.refunds import refund_payment

    send(initiated(405, provider="stripe"), reserved(405))
    p = payment(405)
    refund_payment(p.pk, Decimal("20.00"), "ret-9", "return")
    intent = stripe_on.intents[p.attempts.get().provider_intent_id]
    deliver(api_client, "whsec_test_flowmart", "charge.refunded", _charge(intent, 2000))
    p.refresh_from_db()
    assert p.refunded_amount == Decimal("20.00") and p.status == Payment.Status.PARTIALLY_REFUNDED
    assert len(published("PaymentRefunded", 405)) == 1
    assert_ledger_balanced(405)


def test_dispute_is_recorded_once_and_published(api_client, stripe_on):
    send(initiated(406, provider="stripe"), reserved(406))
    intent = stripe_on.intents[payment(406).attempts.get().provider_intent_id]
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "amount": 5000,
        "currency": "usd",
        "charge": intent["latest_charge"],
        "payment_intent": intent["id"],
        "reason": "fraudulent",
    }
    deliver(api_client, "whsec_test_flowmart", "charge.dispute.created", dispute, "evt_dp")
    deliver(api_client, "whsec_test_flowmart", "charge.dispute.created", dispute, "evt_dp_again")
    assert Dispute.objects.count() == 1
    events = published("PaymentDisputed", 406)
    assert [(e["amount"]["amount"], e["reason"]) for e in events] == [("50.00", "fraudulent")]
    assert payment(406).disputed_amount == 50
    assert_ledger_balanced(406)


def test_event_for_an_unknown_intent_waits_then_is_swept(api_client, stripe_on):
    from flowmart.payments.services import webhooks

    deliver(api_client, "whsec_test_flowmart", "payment_intent.succeeded", {"id": "pi_unknown", "status": "succeeded"})
    row = StripeWebhookEvent.objects.get()
    assert row.processed_at is None and row.outcome.startswith("waiting")
    assert webhooks.sweep_unprocessed() == 1  # still unknown: keeps waiting within the retry window
    StripeWebhookEvent.objects.update(received_at=row.received_at - webhooks.RETRY_WINDOW)
    webhooks.sweep_unprocessed()
    assert StripeWebhookEvent.objects.get().outcome.startswith("unmatched")
