"""Every test payment method through the dummy provider's charge path, both arrival orders."""

import time

import pytest
from django.db import transaction

from flowmart.events.models import Delivery
from flowmart.payments.models import DummyIntent, Payment
from flowmart.payments.services import charging

from .helpers import (
    assert_ledger_balanced,
    cancelled,
    initiated,
    out_of_stock,
    payment,
    published,
    reserved,
    send,
)

pytestmark = pytest.mark.django_db(transaction=True)

OUTCOMES = [
    ("pm_card_visa", "succeeded", None),
    ("pm_card_chargeDeclined", "failed", "card_declined"),
    ("pm_card_chargeDeclinedInsufficientFunds", "failed", "insufficient_funds"),
    ("pm_card_radarBlock", "failed", "fraudulent"),
]


def _no_dead_payment_deliveries():
    assert not Delivery.objects.filter(subscriber__startswith="payments.", status="dead").exists()
    mine = Delivery.objects.filter(subscriber__startswith="payments.").exclude(last_error="")
    errors = list(mine.values_list("last_error", flat=True))
    assert errors == [], errors


@pytest.mark.parametrize("stock_first", [False, True], ids=["initiated-first", "reserved-first"])
@pytest.mark.parametrize(("pm", "status", "code"), OUTCOMES)
def test_test_cards_end_in_documented_outcome(pm, status, code, stock_first):
    order = 101
    events = [initiated(order, pm), reserved(order)]
    send(*(reversed(events) if stock_first else events))
    _no_dead_payment_deliveries()
    processed = published("PaymentProcessed", order)
    assert [(e["status"], e["failure_code"]) for e in processed] == [(status, code)]
    p = payment(order)
    assert p.status == status
    assert p.captured_amount == (p.amount if status == "succeeded" else 0)
    assert_ledger_balanced(order)
    if pm == "pm_card_radarBlock":  # blocked by the provider's own fraud signal: no charge at all
        assert not DummyIntent.objects.exists()
        assert p.assessments.get().outcome == "block"


def test_nothing_charged_before_stock_is_reserved():
    send(initiated(7))
    assert payment(7).status == Payment.Status.AWAITING_STOCK
    assert not DummyIntent.objects.exists()
    assert published("PaymentProcessed", 7) == []


@pytest.mark.parametrize("stopper", [out_of_stock, cancelled])
@pytest.mark.parametrize("stopper_first", [True, False])
def test_out_of_stock_or_cancelled_order_is_never_charged(stopper, stopper_first):
    events = [stopper(8), initiated(8)] if stopper_first else [initiated(8), stopper(8)]
    send(*events)
    # Cancelled before the reservation: heard first, PaymentInitiated's own insert read it.
    assert payment(8).status == Payment.Status.CANCELLED
    send(reserved(8))
    assert payment(8).status == Payment.Status.CANCELLED
    assert not DummyIntent.objects.exists()
    assert published("PaymentProcessed", 8) == []


def test_authentication_required_waits_for_the_customer_then_succeeds():
    send(initiated(9, "pm_card_authenticationRequired"), reserved(9))
    p = payment(9)
    assert p.status == Payment.Status.REQUIRES_ACTION
    assert "/dummy-provider/authenticate/dpi_" in published("PaymentActionRequired", 9)[0]["next_action_url"]
    assert published("PaymentProcessed", 9) == []
    assert charging.simulate_customer_authentication(p.pk) is True
    assert charging.simulate_customer_authentication(p.pk) is False  # idempotent
    assert [e["status"] for e in published("PaymentProcessed", 9)] == ["succeeded"]
    assert payment(9).status == Payment.Status.SUCCEEDED
    assert_ledger_balanced(9)


def test_failed_authentication_fails_the_payment():
    send(initiated(10, "pm_card_authenticationRequired"), reserved(10))
    charging.simulate_customer_authentication(payment(10).pk, succeed=False)
    assert [(e["status"], e["failure_code"]) for e in published("PaymentProcessed", 10)] == [
        ("failed", "authentication_required")
    ]


def test_redelivered_events_charge_once():
    ev = initiated(11)
    send(ev, reserved(11))
    send(reserved(11))  # a second reservation signal (e.g. inventory retried)
    with transaction.atomic():
        from flowmart.payments.services import saga

        saga.payment_initiated(ev)  # a duplicate delivery reaching the service
    assert DummyIntent.objects.count() == 1
    assert len(published("PaymentProcessed", 11)) == 1


def test_cancel_after_capture_refunds_everything():
    send(initiated(12), reserved(12), cancelled(12))
    p = payment(12)
    assert p.status == Payment.Status.REFUNDED
    assert p.refunded_amount == p.captured_amount == p.amount
    refunded = published("PaymentRefunded", 12)
    assert [(e["amount"]["amount"], e["reason"]) for e in refunded] == [("50.00", "order_cancelled")]
    assert DummyIntent.objects.get().amount_refunded == p.amount
    assert_ledger_balanced(12)


def test_cancel_while_awaiting_authentication_cancels_the_intent():
    send(initiated(13, "pm_card_authenticationRequired"), reserved(13), cancelled(13))
    assert payment(13).status == Payment.Status.CANCELLED
    assert DummyIntent.objects.get().status == "canceled"
    assert published("PaymentProcessed", 13) == []


def test_unavailable_provider_fails_the_payment(settings):
    settings.STRIPE_SECRET_KEY = ""
    send(initiated(14, provider="stripe"), reserved(14))
    assert [(e["status"], e["failure_code"]) for e in published("PaymentProcessed", 14)] == [
        ("failed", "processing_error")
    ]


def test_sla_reserved_to_payment_processed_under_3s(capsys):
    """Seed SLA: InventoryAdjusted(reserved) delivered → PaymentProcessed published, dummy provider."""
    timings = []
    for order in range(200, 210):
        send(initiated(order))
        started = time.perf_counter()
        send(reserved(order))
        assert published("PaymentProcessed", order)
        timings.append(time.perf_counter() - started)
    worst = max(timings)
    with capsys.disabled():
        median = sorted(timings)[5] * 1000
        print(f"\nSLA reserved→PaymentProcessed (dummy, n=10): median {median:.1f} ms, max {worst * 1000:.1f} ms")
    assert worst < 3.0
