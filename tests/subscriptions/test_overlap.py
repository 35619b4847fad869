"""Exactly once under overlap, with real parallel processes on PostgreSQL: three billing runs
at once, a run killed halfway and started again. Each process is `manage.py billing_run`
against this test database; the renewal events stay in the outbox (the processes' broker is
in memory), so what is counted is exactly what the runs emitted."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from flowmart.events.models import OutboxEvent
from flowmart.subscriptions.calendar import cycle_at
from flowmart.subscriptions.models import Renewal, Subscription

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def seed(plan, customers: int, per_customer: int, as_of) -> int:
    """Due subscriptions written directly (the API is tested elsewhere): `per_customer` each."""
    anchor = as_of - timedelta(days=35)
    address = {"name": "A", "line1": "1 Main St", "line2": "", "city": "Newark", "postal_code": "07102",
               "country": "US", "phone": ""}  # fmt: skip
    rows = []
    for customer in range(1, customers + 1):
        for _ in range(per_customer):
            sub = Subscription(
                customer_id=customer, customer_email=f"c{customer}@example.com", plan=plan, quantity=1,
                time_zone="UTC", anchor_at=anchor, anchor_cycle=1, next_cycle=2, shipping_address=address,
                shipping_method="standard", provider="dummy", payment_method="pm_card_visa",
            )  # fmt: skip
            sub.next_billing_at = cycle_at(sub, 2)
            rows.append(sub)
    Subscription.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def run_process(as_of, chunk: int) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_BROKER_URL": "memory://localhost/",  # deliveries stay pending in the outbox
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "billing_run", "--as-of", as_of.isoformat(), "--chunk-size", str(chunk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def emitted() -> Counter:
    """How many times each (subscription, cycle) was put in a SubscriptionRenewalDue."""
    seen = Counter()
    for payload in OutboxEvent.objects.filter(name="SubscriptionRenewalDue").values_list("payload", flat=True):
        for line in payload["lines"]:
            seen[(line["subscription_id"], line["cycle"])] += 1
    return seen


def test_three_runs_at_once_bill_each_cycle_once_and_still_group(plans):
    as_of = timezone.now()
    total = seed(plans["red_monthly"], customers=400, per_customer=2, as_of=as_of)
    procs = [run_process(as_of, chunk=7) for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-2000:] for _, err in outputs]
    seen = emitted()
    assert len(seen) == total and set(seen.values()) == {1}
    assert Renewal.objects.filter(cycle=2).count() == total
    # Both of a customer's same-day renewals went out together, whichever run took them.
    sizes = Counter(
        len(p["lines"])
        for p in OutboxEvent.objects.filter(name="SubscriptionRenewalDue").values_list("payload", flat=True)
    )
    assert sizes == {2: 400}
    assert not Subscription.objects.filter(next_billing_at__lte=as_of).exists()
    assert sum(int(out.split(": ")[1].split(" ")[0]) for out, _ in outputs) == total  # the runs shared the work


def test_a_run_killed_halfway_then_run_again_bills_each_cycle_once(plans):
    as_of = timezone.now()
    total = seed(plans["red_monthly"], customers=3000, per_customer=1, as_of=as_of)
    proc = run_process(as_of, chunk=3)
    deadline = time.monotonic() + 120
    while Renewal.objects.count() < total // 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = Renewal.objects.count()
    assert 0 < done < total, "the run was not killed halfway"
    assert len(emitted()) == done  # whole chunks only: every renewal row has its event
    again = run_process(as_of, chunk=50)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-2000:]
    seen = emitted()
    assert len(seen) == total and set(seen.values()) == {1}
    assert Renewal.objects.filter(cycle=2).count() == total
    assert f"{total - done} renewal(s)" in out


def test_a_run_during_another_and_repeated_runs_add_nothing(plans):
    as_of = timezone.now()
    total = seed(plans["red_monthly"], customers=200, per_customer=1, as_of=as_of)
    first, second = run_process(as_of, chunk=5), run_process(as_of + timedelta(minutes=5), chunk=50)
    for proc in (first, second):
        assert proc.wait(timeout=300) == 0, proc.stderr.read()[-2000:]
    for _ in range(2):
        repeat = run_process(as_of + timedelta(minutes=10), chunk=50)
        assert repeat.wait(timeout=300) == 0
    seen = emitted()
    assert len(seen) == total and set(seen.values()) == {1}
