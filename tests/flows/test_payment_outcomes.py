"""Every test payment method of API.md through the full checkout, ending in the documented
order status with stock and both ledgers right; plus expiry and fraud review."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from flowmart.inventory import services as inventory
from flowmart.payments.models import Payment
from flowmart.payments.services import charging, review

from .conftest import checkout, ledgers_balance, order, register, stock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("payment_method", "status", "reason", "reserved"),
    [
        ("pm_card_visa", "paid", None, 1),
        ("pm_card_chargeDeclined", "cancelled", "payment_failed", 0),
        ("pm_card_chargeDeclinedInsufficientFunds", "cancelled", "payment_failed", 0),
        ("pm_card_authenticationRequired", "awaiting_payment", None, 1),
        ("pm_card_radarBlock", "cancelled", "fraud_rejected", 0),
    ],
)
def test_each_test_card_ends_in_its_documented_status(shop, payment_method, status, reason, reserved):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1}, payment_method=payment_method)
    result = order(buyer, placed["order_id"])
    assert (result["status"], result["cancellation_reason"]) == (status, reason)
    assert stock("FLOW-RED") == {"US-EAST": (10, reserved)}
    payment = Payment.objects.get(order_id=placed["order_id"])
    assert payment.captured_amount == (Decimal(result["totals"]["total"]["amount"]) if status == "paid" else 0)
    ledgers_balance()


def test_authentication_required_completes_once_the_customer_authenticates(shop):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 1}, payment_method="pm_card_authenticationRequired")
    assert order(buyer, placed["order_id"])["payment_status"] == "requires_action"
    payment = Payment.objects.get(order_id=placed["order_id"])
    assert charging.simulate_customer_authentication(payment.pk)
    assert order(buyer, placed["order_id"])["status"] == "paid"
    ledgers_balance()


def test_an_unpaid_reservation_expires_and_cancels_the_order(shop):
    buyer = register()
    placed = checkout(buyer, {"FLOW-RED": 2}, payment_method="pm_card_authenticationRequired")
    assert stock("FLOW-RED") == {"US-EAST": (10, 2)}
    assert inventory.expire_reservations(now=timezone.now() + timedelta(minutes=16)) == 1
    expired = order(buyer, placed["order_id"])
    assert (expired["status"], expired["cancellation_reason"]) == ("cancelled", "expired")
    assert stock("FLOW-RED") == {"US-EAST": (10, 0)}
    ledgers_balance()


def test_fraud_review_holds_the_order_until_staff_decide(shop, settings):
    settings.PAYMENTS_FRAUD = {**settings.PAYMENTS_FRAUD, "REVIEW_SCORE": 1, "MAX_ITEM_COUNT": 1}
    approved_buyer, rejected_buyer = register(), register()
    to_approve = checkout(approved_buyer, {"FLOW-RED": 2})
    to_reject = checkout(rejected_buyer, {"FLOW-RED": 2})
    assert order(approved_buyer, to_approve["order_id"])["status"] == "on_hold"
    assert order(rejected_buyer, to_reject["order_id"])["status"] == "on_hold"

    review.approve(Payment.objects.get(order_id=to_approve["order_id"]).pk, staff="ops@flowmart.local")
    review.reject(Payment.objects.get(order_id=to_reject["order_id"]).pk, staff="ops@flowmart.local")

    assert order(approved_buyer, to_approve["order_id"])["status"] == "paid"
    rejected = order(rejected_buyer, to_reject["order_id"])
    assert (rejected["status"], rejected["cancellation_reason"]) == ("cancelled", "fraud_rejected")
    assert stock("FLOW-RED") == {"US-EAST": (10, 2)}  # only the approved order holds stock
    ledgers_balance()
