"""The Stripe provider through the real SDK over HTTP against the local fake."""

from decimal import Decimal

import pytest

from flowmart.common.money import Money
from flowmart.contracts.subscriptions import UserSubscriptionStarted
from flowmart.payments.gateways import ChargeRequest, GatewayError, get_gateway
from flowmart.payments.models import Payment, SavedPaymentMethod

from .helpers import amended, assert_ledger_balanced, cancelled, initiated, payment, published, reserved, send

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("pm", "status", "code"),
    [
        ("pm_card_visa", "succeeded", None),
        ("pm_card_chargeDeclined", "failed", "card_declined"),
        ("pm_card_chargeDeclinedInsufficientFunds", "failed", "insufficient_funds"),
        ("pm_card_radarBlock", "failed", "fraudulent"),
    ],
)
def test_test_cards_through_stripe(stripe_on, pm, status, code):
    send(reserved(301), initiated(301, pm, provider="stripe"))
    assert [(e["status"], e["failure_code"]) for e in published("PaymentProcessed", 301)] == [(status, code)]
    p = payment(301)
    assert p.status == status
    assert p.card_brand == "visa" and len(p.card_last4) == 4  # brand/last4 from the provider only
    assert_ledger_balanced(301)
    assert len(stripe_on.charges) == (1 if status == "succeeded" else 0)
    if status == "succeeded":
        intent = stripe_on.charges[0]
        assert intent["amount"] == 5000 and intent["currency"] == "usd"
        assert p.attempts.get().provider_intent_id == intent["id"]
        assert p.provider_customer_id  # set up for off-session amendment charges


def test_authentication_required_then_confirmed_by_refresh(stripe_on):
    send(initiated(302, "pm_card_authenticationRequired", provider="stripe"), reserved(302))
    p = payment(302)
    assert p.status == Payment.Status.REQUIRES_ACTION
    assert published("PaymentActionRequired", 302)[0]["next_action_url"].startswith("https://hooks.stripe.com/")
    stripe_on.authenticate(p.attempts.get().provider_intent_id)
    from flowmart.payments.services.charging import refresh_from_provider

    assert refresh_from_provider(p.pk) == 1
    assert [e["status"] for e in published("PaymentProcessed", 302)] == ["succeeded"]
    assert_ledger_balanced(302)


def test_timeout_after_charging_is_retried_with_the_same_key_and_charges_once(stripe_on):
    stripe_on.timeouts_after_processing["/v1/payment_intents"] = (
        1  # Stripe charges, then the answer never arrives in time
    )
    send(initiated(303, provider="stripe"), reserved(303))
    keys = [key for method, path, key in stripe_on.requests if path == "/v1/payment_intents" and method == "POST"]
    assert len(keys) == 2 and keys[0] == keys[1] == "flowmart-order-303-charge"
    assert len(stripe_on.intents) == 1 and len(stripe_on.charges) == 1
    assert [e["status"] for e in published("PaymentProcessed", 303)] == ["succeeded"]
    assert_ledger_balanced(303)


def test_server_errors_are_retried_safely(stripe_on):
    stripe_on.server_errors = 2
    send(initiated(304, provider="stripe"), reserved(304))
    assert len(stripe_on.charges) == 1
    assert payment(304).status == Payment.Status.SUCCEEDED


def test_provider_down_after_retries_raises_and_a_later_retry_charges_once(stripe_on):
    gateway = get_gateway("stripe")
    request = ChargeRequest(amount=Money(Decimal("5.00"), "USD"), payment_method="pm_card_visa", idempotency_key="k-1")
    stripe_on.timeouts_after_processing["/v1/payment_intents"] = 3  # first try and both SDK retries time out
    with pytest.raises(GatewayError):
        gateway.create_and_confirm(request)
    again = gateway.create_and_confirm(request)
    assert again.status == "succeeded"
    assert len(stripe_on.charges) == 1


def test_refunds_full_and_partial_and_cancel(stripe_on):
    from flowmart.payments.services.refunds import refund_payment

    send(initiated(305, provider="stripe"), reserved(305))
    p = payment(305)
    refund_payment(p.pk, Decimal("10.00"), "ret-1", "return")
    refund_payment(p.pk, Decimal("10.00"), "ret-1", "return")  # idempotent on reference
    assert [r["amount"] for r in stripe_on.refunds.values()] == [1000]
    send(cancelled(305))
    assert sorted(r["amount"] for r in stripe_on.refunds.values()) == [1000, 4000]
    p.refresh_from_db()
    assert p.status == Payment.Status.REFUNDED and p.refunded_amount == Decimal("50.00")
    assert_ledger_balanced(305)


def test_subscription_saves_method_and_renewal_is_charged_off_session(stripe_on):
    send(
        UserSubscriptionStarted(
            subscription_id=77,
            customer_id=5,
            customer_email="sub@example.com",
            plan_id=1,
            sku="SKU-1",
            quantity=1,
            provider="stripe",
            payment_method="pm_card_visa",
        )
    )
    saved = SavedPaymentMethod.objects.get(subscription_id=77)
    assert saved.provider_customer_id in stripe_on.customers
    send(initiated(306, "pm_card_visa", provider="stripe", subscription_id=77, customer_id=5), reserved(306))
    intent = stripe_on.charges[0]
    assert intent["customer"] == saved.provider_customer_id
    processed = published("PaymentProcessed", 306)
    assert [(e["status"], e["subscription_id"]) for e in processed] == [("succeeded", 77)]


def test_off_session_renewal_needing_authentication_fails(stripe_on):
    send(
        UserSubscriptionStarted(
            subscription_id=78,
            customer_id=6,
            customer_email="sub@example.com",
            plan_id=1,
            sku="SKU-1",
            quantity=1,
            provider="stripe",
            payment_method="pm_card_authenticationRequired",
        )
    )
    renewal = {"subscription_id": 78, "renewal_key": "subs-2", "renewal_cycle": 2, "renewal_attempt": 1}
    send(initiated(307, "pm_card_authenticationRequired", provider="stripe", **renewal), reserved(307))
    assert [(e["status"], e["failure_code"]) for e in published("PaymentProcessed", 307)] == [
        ("failed", "authentication_required")
    ]


def test_amendment_increase_charged_off_session_after_its_reservation(stripe_on):
    send(initiated(308, provider="stripe"), reserved(308), amended(308, "am1", "50.00", "70.00"))
    assert len(stripe_on.charges) == 1  # waits for the amendment's reservation
    send(reserved(308, "am1"))
    extra = stripe_on.charges[1]
    assert extra["amount"] == 2000 and extra["customer"] == payment(308).provider_customer_id
    processed = published("PaymentProcessed", 308)
    assert [(e["status"], e["amendment_id"], e["amount"]["amount"]) for e in processed] == [
        ("succeeded", None, "50.00"),
        ("succeeded", "am1", "20.00"),
    ]
    send(cancelled(308))  # refunds both charges
    assert sorted(r["amount"] for r in stripe_on.refunds.values()) == [2000, 5000]
    assert_ledger_balanced(308)


@pytest.mark.parametrize("provider", ["dummy", "stripe"])
def test_subscription_with_a_declining_card_saves_nothing_and_does_not_retry(stripe_on, provider):
    from flowmart.events.models import Delivery

    send(
        UserSubscriptionStarted(
            subscription_id=79,
            customer_id=7,
            customer_email="sub@example.com",
            plan_id=1,
            sku="SKU-1",
            quantity=1,
            provider=provider,
            payment_method="pm_card_chargeDeclined",
        )
    )
    assert not SavedPaymentMethod.objects.exists()
    assert Delivery.objects.get(subscriber="payments.save_method_for_renewals").status == "done"


def test_card_number_instead_of_a_provider_id_is_refused_and_not_stored():
    send(initiated(309, "4242424242424242"), reserved(309))
    p = payment(309)
    assert p.payment_method == "" and p.failure_code == "processing_error"
    assert [e["status"] for e in published("PaymentProcessed", 309)] == ["failed"]
