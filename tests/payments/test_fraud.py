"""Fraud screening before any charge: rules, stored assessments, the review queue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from flowmart.common.errors import Conflict
from flowmart.payments import fraud
from flowmart.payments.models import DummyIntent, FraudAssessment, Payment
from flowmart.payments.services import review

from .helpers import assert_ledger_balanced, cancelled, initiated, payment, published, reserved, send

BASE = {
    "customer_orders_in_window": 0,
    "customer_failed_in_window": 0,
    "card_orders_in_window": 0,
    "ip_orders_in_window": 0,
    "account_age_days": 400,
    "amount": "50.00",
    "card_country": "US",
    "shipping_country": "US",
    "item_count": 2,
    "provider_risk_signal": False,
}


@pytest.mark.parametrize(
    ("changes", "reasons", "outcome"),
    [
        ({}, [], "allow"),
        ({"shipping_country": "DE"}, ["country_mismatch"], "allow"),
        (
            {"account_age_days": 1, "amount": "1500.00", "shipping_country": "DE"},
            ["new_account_high_value", "country_mismatch"],
            "review",
        ),
        ({"customer_failed_in_window": 3}, ["failed_payments"], "review"),
        ({"item_count": 80, "shipping_country": "FR"}, ["country_mismatch", "unusual_quantity"], "review"),
        (
            {
                "customer_orders_in_window": 10,
                "card_orders_in_window": 20,
                "ip_orders_in_window": 20,
                "shipping_country": "DE",
            },
            ["velocity_customer", "velocity_card", "velocity_ip", "country_mismatch"],
            "block",
        ),
        ({"provider_risk_signal": True}, ["provider_signal"], "block"),
        ({"account_age_days": None, "amount": "5000.00"}, [], "allow"),  # unknown age: no age rule
    ],
)
def test_rules(changes, reasons, outcome):
    verdict = fraud.evaluate({**BASE, **changes}, fraud.config())
    assert verdict.reasons == reasons
    assert verdict.outcome == outcome


def test_thresholds_come_from_settings(settings):
    settings.PAYMENTS_FRAUD = {**settings.PAYMENTS_FRAUD, "REVIEW_SCORE": 20}
    assert fraud.evaluate({**BASE, "shipping_country": "DE"}, fraud.config()).outcome == "review"


def risky(order_id, **extra):
    """New account, high value, card country ≠ shipping country → review."""
    return initiated(
        order_id,
        amount="1500.00",
        customer_since=timezone.now() - timedelta(days=1),
        shipping_country="DE",
        **extra,
    )


@pytest.mark.django_db(transaction=True)
def test_review_holds_then_approve_charges():
    send(risky(601), reserved(601))
    p = payment(601)
    assert p.status == Payment.Status.ON_HOLD
    held = published("PaymentHeldForReview", 601)
    assert held[0]["reasons"] == ["new_account_high_value", "country_mismatch"] and held[0]["score"] == 70
    assert not DummyIntent.objects.exists()
    assessment = p.assessments.get()
    assert assessment.inputs["account_age_days"] == 1 and assessment.inputs["card_country"] == "US"
    review.approve(p.pk, "ops@flowmart")
    assert payment(601).status == Payment.Status.SUCCEEDED
    assert [e["status"] for e in published("PaymentProcessed", 601)] == ["succeeded"]
    assessment.refresh_from_db()
    assert (assessment.review_decision, assessment.decided_by) == ("approved", "ops@flowmart")
    with pytest.raises(Conflict):
        review.approve(p.pk, "ops@flowmart")
    assert_ledger_balanced(601)


@pytest.mark.django_db(transaction=True)
def test_reject_fails_as_fraudulent_without_charging():
    send(risky(602), reserved(602))
    review.reject(payment(602).pk, "ops@flowmart")
    assert [(e["status"], e["failure_code"]) for e in published("PaymentProcessed", 602)] == [("failed", "fraudulent")]
    assert not DummyIntent.objects.exists()
    assert FraudAssessment.objects.get().review_decision == "rejected"


@pytest.mark.django_db(transaction=True)
def test_cancelled_while_on_hold_is_never_charged():
    send(risky(603), reserved(603), cancelled(603))
    assert payment(603).status == Payment.Status.CANCELLED
    with pytest.raises(Conflict):
        review.approve(payment(603).pk, "ops")
    assert not DummyIntent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_failed_payment_velocity_escalates_to_review():
    for order in range(610, 613):
        send(initiated(order, "pm_card_chargeDeclined", customer_id=42), reserved(order))
    send(initiated(613, customer_id=42), reserved(613))
    assert payment(613).status == Payment.Status.ON_HOLD
    assert "failed_payments" in payment(613).assessments.get().reasons


@pytest.mark.django_db(transaction=True)
def test_admin_review_queue_approve_action(admin_client):
    send(risky(620), reserved(620))
    p = payment(620)
    listing = admin_client.get("/admin/payments/paymentunderreview/")
    assert listing.status_code == 200 and "620" in listing.content.decode()
    response = admin_client.post(
        "/admin/payments/paymentunderreview/", {"action": "approve", "_selected_action": [p.pk]}, follow=True
    )
    assert response.status_code == 200
    assert payment(620).status == Payment.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_velocity_inputs_count_customer_card_and_ip_within_the_window(settings):
    settings.PAYMENTS_FRAUD = {**settings.PAYMENTS_FRAUD, "MAX_ORDERS_PER_IP": 3, "MAX_ORDERS_PER_CARD": 3}
    for order in range(630, 633):
        send(initiated(order, customer_id=order, client_ip="203.0.113.9"), reserved(order))
    Payment.objects.filter(order_id=630).update(created_at=timezone.now() - timedelta(hours=2))  # outside the window
    send(initiated(633, customer_id=633, client_ip="203.0.113.9"), reserved(633))
    inputs = payment(633).assessments.get().inputs
    assert (inputs["ip_orders_in_window"], inputs["card_orders_in_window"]) == (2, 2)
    send(initiated(634, customer_id=634, client_ip="203.0.113.9"), reserved(634))
    assessment = payment(634).assessments.get()
    assert assessment.reasons == ["velocity_card", "velocity_ip"] and assessment.outcome == "review"
