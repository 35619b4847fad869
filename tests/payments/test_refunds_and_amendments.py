"""Refunds (full/partial, idempotent on reference) and amendments on the dummy provider."""

from decimal import Decimal

import pytest

from flowmart.payments.models import Amendment, DummyIntent, DummyRefund, Payment

from .helpers import (
    amended,
    assert_ledger_balanced,
    cancelled,
    initiated,
    out_of_stock,
    payment,
    published,
    refund_requested,
    reserved,
    send,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_partial_then_full_refund_idempotent_on_reference():
    send(initiated(701), reserved(701))
    send(refund_requested(701, "ret-a", "15.00"), refund_requested(701, "ret-a", "15.00"))
    p = payment(701)
    assert (p.status, p.refunded_amount) == (Payment.Status.PARTIALLY_REFUNDED, Decimal("15.00"))
    send(refund_requested(701, "ret-b", "99.00"))  # more than is left: capped at the refundable 35.00
    p.refresh_from_db()
    assert (p.status, p.refunded_amount) == (Payment.Status.REFUNDED, Decimal("50.00"))
    assert [e["amount"]["amount"] for e in published("PaymentRefunded", 701)] == ["15.00", "35.00"]
    assert [e["reference"] for e in published("PaymentRefunded", 701)] == ["ret-a", "ret-b"]
    assert DummyRefund.objects.count() == 2
    assert_ledger_balanced(701)


def test_late_payment_refund_after_cancel_refunds_nothing_twice():
    send(initiated(702), reserved(702), cancelled(702))
    send(refund_requested(702, f"late-payment-{payment(702).pk}", "50.00", "order_cancelled"))
    assert payment(702).refunded_amount == Decimal("50.00")
    assert len(published("PaymentRefunded", 702)) == 1


def test_amendment_decrease_refunds_the_difference_now():
    send(initiated(703), reserved(703), amended(703, "dec1", "50.00", "30.00"))
    p = payment(703)
    assert p.refunded_amount == Decimal("20.00")
    assert published("PaymentRefunded", 703)[0]["reference"] == "amendment-dec1"
    send(amended(703, "dec1", "50.00", "30.00"))  # redelivered: no second refund
    assert DummyRefund.objects.count() == 1
    assert_ledger_balanced(703)


@pytest.mark.parametrize("reserved_first", [False, True])
def test_amendment_increase_charged_after_its_reservation(reserved_first):
    send(initiated(704), reserved(704))
    steps = [reserved(704, "inc1"), amended(704, "inc1", "50.00", "65.00")]
    send(*(steps if reserved_first else reversed(steps)))
    p = payment(704)
    assert p.captured_amount == Decimal("65.00")
    assert Amendment.objects.get().status == Amendment.Status.CHARGED
    assert [(e["amendment_id"], e["amount"]["amount"]) for e in published("PaymentProcessed", 704)] == [
        (None, "50.00"),
        ("inc1", "15.00"),
    ]
    assert_ledger_balanced(704)


@pytest.mark.parametrize("refusal_first", [False, True])
def test_amendment_increase_never_charged_when_out_of_stock(refusal_first):
    send(initiated(705), reserved(705))
    steps = [amended(705, "inc2", "50.00", "80.00"), out_of_stock(705, "inc2")]
    send(*(reversed(steps) if refusal_first else steps))
    send(reserved(705, "inc2"))  # even a stray reservation afterwards
    assert DummyIntent.objects.count() == 1
    assert Amendment.objects.get().status == Amendment.Status.REJECTED
    assert payment(705).captured_amount == Decimal("50.00")


def test_amendment_before_capture_changes_the_amount_charged():
    send(initiated(706), amended(706, "pre1", "50.00", "42.00"), reserved(706))
    assert payment(706).captured_amount == Decimal("42.00")
    assert Amendment.objects.get().status == Amendment.Status.ABSORBED


def test_refund_spanning_two_charges_is_split():
    send(initiated(707), reserved(707), amended(707, "inc3", "50.00", "60.00"), reserved(707, "inc3"))
    send(refund_requested(707, "ret-big", "55.00"))
    p = payment(707)
    assert p.refunded_amount == Decimal("55.00")
    assert sorted(r.amount for r in p.refunds.all()) == [Decimal("10.00"), Decimal("45.00")]
    assert len(published("PaymentRefunded", 707)) == 1
    assert_ledger_balanced(707)


def test_dummy_subscription_renewal_is_charged_off_session_with_the_saved_method():
    from flowmart.contracts.subscriptions import UserSubscriptionStarted
    from flowmart.payments.models import DummyCustomer

    send(
        UserSubscriptionStarted(
            subscription_id=91,
            customer_id=9,
            customer_email="sub@example.com",
            plan_id=1,
            sku="SKU-1",
            quantity=1,
            provider="dummy",
            payment_method="pm_card_visa",
        )
    )
    customer = DummyCustomer.objects.get()
    assert customer.payment_methods == ["pm_card_visa"]
    renewal = {"subscription_id": 91, "renewal_key": "subs-1", "renewal_cycle": 2, "renewal_attempt": 1}
    send(initiated(708, "pm_card_visa", customer_id=9, **renewal), reserved(708))
    intent = DummyIntent.objects.get()
    assert intent.off_session and intent.customer_ref == customer.customer_ref
    assert intent.idempotency_key == "flowmart-sub-91-cycle-2-attempt-1"
    assert [(e["status"], e["subscription_id"], e["renewal_key"]) for e in published("PaymentProcessed", 708)] == [
        ("succeeded", 91, "subs-1")
    ]
