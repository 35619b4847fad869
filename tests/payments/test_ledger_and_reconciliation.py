"""The ledger check command and the provider reconciliation detect planted differences."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from flowmart.payments import tasks
from flowmart.payments.ledger import check_ledger, post
from flowmart.payments.models import DummyIntent, LedgerEntry, Payment
from flowmart.payments.services.reconciliation import reconcile

from .helpers import initiated, payment, refund_requested, reserved, send

pytestmark = pytest.mark.django_db(transaction=True)


def settled_orders():
    send(initiated(801), reserved(801), initiated(802), reserved(802), refund_requested(802, "r1", "5.00"))
    send(initiated(803, "pm_card_chargeDeclined"), reserved(803))


def test_clean_ledger_passes(capsys):
    settled_orders()
    assert check_ledger() == []
    call_command("check_payments_ledger")
    assert "ledger OK" in capsys.readouterr().out


def test_ledger_check_reports_payment_drift_and_exits_non_zero(capsys):
    settled_orders()
    Payment.objects.filter(order_id=802).update(refunded_amount=Decimal("7.00"))  # payment disagrees with ledger
    with pytest.raises(SystemExit) as exit_:
        call_command("check_payments_ledger")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "order 802" in out and "801" not in out


def test_ledger_check_reports_an_unbalanced_transaction():
    settled_orders()
    p = payment(801)
    txn = post(p, "refund", Decimal("1.00"), "planted")
    LedgerEntry.objects.filter(transaction_id=txn, account="refunds").delete()
    problems = [str(d) for d in check_ledger([801])]
    assert any("unbalanced" in problem for problem in problems)


def test_reconciliation_dummy_detects_planted_differences(caplog):
    settled_orders()
    assert reconcile("dummy", timezone.now() - timedelta(days=1)) == []
    intent = DummyIntent.objects.get(payment_method="pm_card_visa", amount_refunded=5)
    DummyIntent.objects.filter(pk=intent.pk).update(amount_refunded=Decimal("9.00"))
    DummyIntent.objects.create(
        intent_id="dpi_stray",
        idempotency_key="stray",
        amount=3,
        currency="USD",
        payment_method="pm_card_visa",
        status="succeeded",
        amount_received=3,
    )
    diffs = reconcile("dummy", timezone.now() - timedelta(days=1))
    assert sorted(d.problem for d in diffs) == ["refunded differs", "unknown to FlowMart"]
    assert "reconciliation difference" in caplog.text
    assert tasks.reconcile_payments() == 2  # the beat job


def test_reconciliation_stripe_uses_the_list_api(stripe_on):
    send(initiated(810, provider="stripe"), reserved(810))
    assert reconcile("stripe", timezone.now() - timedelta(days=1)) == []
    stripe_on.refund_outside(payment(810).attempts.get().provider_intent_id, 700)  # refunded on the dashboard
    diffs = reconcile("stripe", timezone.now() - timedelta(days=1))
    assert [(d.problem, d.ours, d.theirs) for d in diffs] == [("refunded differs", "0", "7.00")]
    with pytest.raises(SystemExit):
        call_command("reconcile_payments")
