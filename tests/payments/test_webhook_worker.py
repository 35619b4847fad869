"""The webhook answers at once and a real Celery worker processes the stored event."""

from decimal import Decimal

import pytest

from flowmart.payments.models import Payment, PaymentAttempt, StripeWebhookEvent
from tests.support.worker import wait_until

from . import stripe_signing
from .helpers import published


@pytest.mark.worker
def test_webhook_processed_by_a_real_worker(celery_worker, api_client, webhook_secret):
    payment = Payment.objects.create(
        order_id=950,
        customer_id=1,
        amount=Decimal("12.50"),
        currency="USD",
        provider="stripe",
        payment_method="pm_card_authenticationRequired",
        status=Payment.Status.REQUIRES_ACTION,
    )
    PaymentAttempt.objects.create(
        payment=payment,
        idempotency_key="flowmart-order-950-charge",
        amount=Decimal("12.50"),
        currency="USD",
        status=PaymentAttempt.Status.REQUIRES_ACTION,
        provider_intent_id="pi_worker",
    )
    intent = {
        "id": "pi_worker",
        "object": "payment_intent",
        "status": "succeeded",
        "amount": 1250,
        "amount_received": 1250,
        "currency": "usd",
        "latest_charge": "ch_worker",
    }
    body = stripe_signing.event("payment_intent.succeeded", intent, "evt_worker")
    response = api_client.generic(
        "POST",
        "/api/v1/payments/stripe/webhook/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signing.sign(body, webhook_secret),
    )
    assert response.status_code == 200
    wait_until(lambda: StripeWebhookEvent.objects.filter(processed_at__isnull=False).exists())
    assert [e["status"] for e in published("PaymentProcessed", 950)] == ["succeeded"]
    assert Payment.objects.get(pk=payment.pk).captured_amount == Decimal("12.50")
