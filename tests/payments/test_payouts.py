"""Payout runs: the hold period, the KYC gate, Stripe Connect transfers (through the SDK
against the fake Stripe server) with the right minor units and idempotency key, failed
transfers retried without doubling, and operations' "paid by bank transfer" mark."""

from decimal import Decimal

import pytest

from flowmart.common.errors import Conflict
from flowmart.events.models import OutboxEvent
from flowmart.payments.models import LedgerEntry, Payout
from flowmart.payments.services import payouts

from .settlement_helpers import age_sales, balance, line, paid_order, verified

pytestmark = pytest.mark.django_db(transaction=True)


def transfers(fake):
    return [(t["amount"], t["currency"], t["destination"]) for t in fake.transfers.values()]


def keys(fake):
    return [key for method, path, key in fake.requests if method == "POST" and path == "/v1/transfers"]


def test_only_sales_past_the_hold_are_paid(stripe_on):
    verified(7, "acct_fake_7")
    stripe_on.accounts["acct_fake_7"] = {"id": "acct_fake_7"}
    paid_order(701, [line("A-1", 1, "50.00", 7)])
    first = payouts.run()
    assert first == {"skipped": 1} or first == {}  # nothing available yet: the sale is in its hold
    assert stripe_on.transfers == {} and balance(7, "pending") == Decimal("45.00")
    age_sales(days=8)
    payouts.run()
    payout = Payout.objects.get(status="paid")
    assert (payout.amount, payout.method, payout.paid_by) == (Decimal("45.00"), "stripe_transfer", "payout run")
    assert transfers(stripe_on) == [(4500, "usd", "acct_fake_7")]  # minor units
    assert keys(stripe_on) == [f"flowmart-payout-7-{payouts.period_key()}-USD-1"]
    assert payout.provider_transfer_id in stripe_on.transfers
    assert (balance(7, "pending"), balance(7, "available")) == (0, 0)
    event = OutboxEvent.objects.get(name="SellerPayoutPaid").payload
    assert (event["seller_id"], event["amount"], event["method"]) == (
        7,
        {"amount": "45.00", "currency": "USD"},
        "stripe_transfer",
    )
    payouts.run()  # again in the same period: nothing more
    assert len(stripe_on.transfers) == 1 and Payout.objects.count() == 1
    ledger = LedgerEntry.objects.filter(kind="payout")
    assert sorted((e.account, e.debit, e.credit) for e in ledger) == [
        ("provider_clearing", 0, Decimal("45.00")),
        ("seller:7:available", Decimal("45.00"), 0),
    ]


def test_unverified_sellers_are_skipped_with_a_reason_then_paid_once_verified(stripe_on):
    from flowmart.payments.services import kyc

    paid_order(702, [line("A-1", 2, "10.00", 9)])
    age_sales()
    payouts.run()
    skipped = Payout.objects.get(seller__seller_id=9)
    assert skipped.status == "skipped" and "not verified" in skipped.reason
    assert stripe_on.transfers == {}
    kyc.set_by_operations(9, "verified", "ops@example.com", "documents checked by phone")
    payouts.run()
    skipped.refresh_from_db()
    assert skipped.status == "skipped" and "no Stripe Connect account" in skipped.reason
    payouts.mark_paid_by_bank(9, "USD", "BANK-REF-0042", "ops@example.com")
    skipped.refresh_from_db()
    assert (skipped.status, skipped.method, skipped.reference, skipped.paid_by) == (
        "paid",
        "bank_transfer",
        "BANK-REF-0042",
        "ops@example.com",
    )
    assert skipped.amount == Decimal("18.00") and skipped.paid_at is not None
    bank = LedgerEntry.objects.get(kind="payout", account="platform:bank")
    assert bank.credit == Decimal("18.00") and balance(9, "available") == 0
    with pytest.raises(Conflict):  # the period is paid: a second mark pays nothing
        payouts.mark_paid_by_bank(9, "USD", "BANK-REF-0043", "ops@example.com")


def test_bank_mark_refuses_an_unverified_seller():
    paid_order(703, [line("A-1", 1, "10.00", 10)])
    age_sales()
    with pytest.raises(Conflict, match="not verified"):
        payouts.mark_paid_by_bank(10, "USD", "REF-1", "ops@example.com")
    assert not LedgerEntry.objects.filter(kind="payout").exists()


def test_a_refused_transfer_is_retried_later_under_a_new_key_never_doubled(stripe_on):
    verified(7, "acct_fake_7")
    stripe_on.accounts["acct_fake_7"] = {"id": "acct_fake_7"}
    paid_order(704, [line("A-1", 1, "20.00", 7)])
    age_sales()
    stripe_on.transfer_refusals = 1
    payouts.run()
    failed = Payout.objects.get()
    assert failed.status == "failed" and "Insufficient funds" in failed.reason and failed.attempt == 2
    assert balance(7, "available") == Decimal("18.00")  # nothing left the seller's balance
    payouts.run()
    failed.refresh_from_db()
    assert failed.status == "paid" and transfers(stripe_on) == [(1800, "usd", "acct_fake_7")]
    period = payouts.period_key()
    assert keys(stripe_on) == [f"flowmart-payout-7-{period}-USD-1", f"flowmart-payout-7-{period}-USD-2"]


def test_an_unanswered_transfer_is_retried_with_the_same_key(stripe_on):
    verified(7, "acct_fake_7")
    stripe_on.accounts["acct_fake_7"] = {"id": "acct_fake_7"}
    paid_order(705, [line("A-1", 1, "30.00", 7)])
    age_sales()
    stripe_on.hang_seconds = 1.5
    stripe_on.timeouts_after_processing["/v1/transfers"] = 3  # the SDK's try and both retries get no answer
    payouts.run()
    claimed = Payout.objects.get()
    assert claimed.status == "claimed" and claimed.amount == Decimal("27.00") and "unanswered" in claimed.reason
    assert len(stripe_on.transfers) == 1  # made at Stripe, unknown to us
    payouts.run()
    claimed.refresh_from_db()
    assert claimed.status == "paid" and len(stripe_on.transfers) == 1
    assert claimed.provider_transfer_id == next(iter(stripe_on.transfers))
    assert set(keys(stripe_on)) == {f"flowmart-payout-7-{payouts.period_key()}-USD-1"}
    assert balance(7, "available") == 0
