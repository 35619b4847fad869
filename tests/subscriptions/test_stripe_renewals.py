"""Renewals on the `stripe` provider through the real SDK against the local fake Stripe API:
the card is attached to a Stripe Customer when the subscription starts; renewals are
charged off-session (`off_session=true, confirm=true`) with an idempotency key per
(subscription, cycle, attempt); a renewal that needs authentication goes to dunning."""

import pytest

from flowmart.events.models import OutboxEvent
from flowmart.orders.models import Order
from flowmart.payments.models import PaymentAttempt, SavedPaymentMethod
from flowmart.subscriptions.models import Renewal, Subscription
from tests.payments.conftest import fake_stripe, stripe_on  # noqa: F401 - fixtures

from .conftest import billing_run, next_billing, register, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def test_stripe_renewal_is_charged_off_session_on_the_saved_customer(plans, stripe_on):  # noqa: F811
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"], provider="stripe", payment_method="pm_card_visa")["id"]
    saved = SavedPaymentMethod.objects.get(subscription_id=sub_id)
    assert saved.provider_customer_id.startswith("cus_")
    assert ("pm_card_visa", saved.provider_customer_id) in stripe_on.attached
    first = Order.objects.get()
    assert first.status == "paid"
    billing_run(next_billing(sub_id))
    renewal = Renewal.objects.get(subscription_id=sub_id, cycle=2)
    assert renewal.status == "paid"
    attempt = PaymentAttempt.objects.get(payment__order_id=renewal.order_id)
    assert attempt.idempotency_key == f"flowmart-sub-{sub_id}-cycle-2-attempt-1"
    params = stripe_on.intent_params[attempt.provider_intent_id]
    assert (params["off_session"], params["confirm"]) == ("true", "true")
    assert params["customer"] == saved.provider_customer_id and params["payment_method"] == "pm_card_visa"
    assert ("POST", "/v1/payment_intents", attempt.idempotency_key) in stripe_on.requests
    assert len(stripe_on.charges) == 2


def test_stripe_renewal_needing_authentication_goes_to_dunning_with_a_link(plans, stripe_on):  # noqa: F811
    buyer = register()
    sub_id = subscribe(buyer, plans["red_monthly"], provider="stripe", payment_method="pm_card_visa")["id"]
    response = buyer.patch(
        f"/api/v1/subscriptions/{sub_id}/",
        {"payment": {"provider": "stripe", "payment_method": "pm_card_authenticationRequired"}},
        format="json",
    )
    assert response.status_code == 200
    assert (
        "pm_card_authenticationRequired",
        SavedPaymentMethod.objects.get(subscription_id=sub_id).provider_customer_id,
    ) in stripe_on.attached
    due = next_billing(sub_id)
    billing_run(due)
    renewal = Renewal.objects.get(subscription_id=sub_id, cycle=2)
    assert (renewal.status, renewal.failure_code) == ("past_due", "authentication_required")
    assert Subscription.objects.get(pk=sub_id).status == "past_due"
    failed = OutboxEvent.objects.get(name="SubscriptionRenewalFailed").payload
    assert failed["reason"] == "authentication_required" and f"/subscriptions/{sub_id}/" in failed["action_url"]
    # The customer puts in a card that works: retried at once, a new (subscription, cycle, attempt) key.
    buyer.patch(
        f"/api/v1/subscriptions/{sub_id}/",
        {"payment": {"provider": "stripe", "payment_method": "pm_card_visa"}},
        format="json",
    )
    renewal.refresh_from_db()
    assert (renewal.status, renewal.attempts) == ("paid", 2)
    keys = set(
        PaymentAttempt.objects.filter(payment__subscription_id=sub_id, payment__renewal_cycle=2).values_list(
            "idempotency_key", flat=True
        )
    )
    assert keys == {f"flowmart-sub-{sub_id}-cycle-2-attempt-{n}" for n in (1, 2)}
    assert Subscription.objects.get(pk=sub_id).status == "active"
