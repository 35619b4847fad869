"""Exactly once per (seller, period) under overlapping payout runs: real threads, each with
its own PostgreSQL connection, all running the beat job at once against the fake Stripe."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from flowmart.payments.models import LedgerEntry, Payout
from flowmart.payments.services import payouts

from .settlement_helpers import age_sales, balance, line, paid_order, verified

pytestmark = pytest.mark.django_db(transaction=True)


def race(fn, n):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


@pytest.mark.parametrize("round_", range(2))
def test_overlapping_runs_pay_each_seller_once(stripe_on, round_):
    sellers = (7, 8, 9)
    for i, seller_id in enumerate(sellers):
        account = f"acct_fake_{seller_id}"
        verified(seller_id, account)
        stripe_on.accounts[account] = {"id": account}
        paid_order(800 + 10 * round_ + i, [line(f"S-{seller_id}", 1, "40.00", seller_id)])
    age_sales()
    race(payouts.run, 4)
    assert Payout.objects.filter(status="paid").count() == 3 and Payout.objects.count() == 3
    assert len(stripe_on.transfers) == 3
    assert sorted(t["destination"] for t in stripe_on.transfers.values()) == [f"acct_fake_{s}" for s in sellers]
    for seller_id in sellers:
        assert balance(seller_id, "available") == 0
    assert LedgerEntry.objects.filter(kind="payout").count() == 6  # one balanced pair per seller
    paid = sum(p.amount for p in Payout.objects.all())
    assert paid == Decimal("108.00")
