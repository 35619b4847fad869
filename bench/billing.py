"""Billing-run benchmark: renewals emitted per second and peak RSS of a run over 100,000 due
subscriptions, then the end-to-end renewal saga throughput (dummy provider).

  (a) emission — `manage.py billing_run --as-of` as its own process (the production shape:
      Redis broker, no worker running, so only the run itself is measured) over BENCH_BILLING_SUBS
      due subscriptions of as many customers: renewals / wall time of the process (Django's
      start-up included), and the process's peak RSS (`os.wait4` → ru_maxrss).
  (b) saga — the first BENCH_BILLING_SAGA renewal orders are driven through the whole saga
      in this process (orders → inventory → payments → shipping, notifications...), one
      delivery transaction per subscriber as a worker does: renewals paid per second.

    python -m bench billing        # BENCH_BILLING_SUBS=100000, BENCH_BILLING_SAGA=200

Its own database (flowmart_bench_billing, dropped and migrated each run) and Redis number
(BENCH_BILLING_REDIS_URL, default db 11, flushed before and after).
"""

import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "flowmart_bench_billing"
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_BILLING_REDIS_URL", "redis://127.0.0.1:6379/11")
SUBS = int(os.environ.get("BENCH_BILLING_SUBS", "100000"))
SAGA = int(os.environ.get("BENCH_BILLING_SAGA", "200"))
TARGETS = {"renewals_per_second": 2000, "peak_rss_mb": 250}
LOAD_AT_START = os.getloadavg()

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "flowmart.settings",
    "DATABASE_URL": f"{PG_URL}/{DB_NAME}",
    "REDIS_URL": REDIS_URL,
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "WARNING",
    "LOG_FORMAT": "plain",
    "PYTHONPATH": str(ROOT),
    "SUBSCRIPTIONS_REMINDER_DAYS": "0",  # the run emits renewals only
    "FRAUD_MAX_ORDERS_PER_IP": "1000000",
}


def prepare() -> None:
    import psycopg
    import redis

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=ENV, check=True)
    os.environ.update(ENV)
    import django

    django.setup()


def drain(after_delivery: int = 0, limit: int | None = None) -> int:
    """Deliver pending deliveries (id > after) in this process until none is left."""
    from flowmart.events import relay
    from flowmart.events.models import Delivery

    done = 0
    while True:
        ids = list(
            Delivery.objects.filter(status="pending", pk__gt=after_delivery)
            .order_by("pk")
            .values_list("pk", flat=True)[:500]
        )
        if limit is not None:
            ids = ids[: max(0, limit - done)]
        if not ids:
            return done
        relay.deliver_many(ids)
        done += len(ids)


def seed_shop():
    """Rates, one warehouse with plenty of stock, one product; the projections filled."""
    from django.core.management import call_command

    from flowmart.catalog import services as catalog
    from flowmart.common.money import Money
    from flowmart.inventory import services as inventory
    from flowmart.subscriptions.models import Plan, Variant

    call_command("demo_shipping", stdout=open(os.devnull, "w"))  # noqa: SIM115
    inventory.create_warehouse(code="US-EAST", name="Newark", country="US", latitude=Decimal("40.73"),
                               longitude=Decimal("-74.17"))  # fmt: skip
    seller = catalog.create_seller(slug="bench-seller", name="Bench Seller")
    category = catalog.create_category(slug="bench", name="Bench")
    catalog.create_product(seller=seller, category=category, name="Bench Coffee", slug="bench-coffee",
                           variants=[{"sku": "BENCH-1", "name": "1 kg", "price": Money(Decimal("20.00"), "USD"),
                                      "weight_grams": 400}])  # fmt: skip
    inventory.receive_stock(sku="BENCH-1", warehouse_code="US-EAST", quantity=1_000_000, reason="bench")
    drain()
    variant = Variant.objects.get(sku="BENCH-1")
    return Plan.objects.create(name="Bench monthly", sku="BENCH-1", product_id=variant.product_id,
                               seller_id=variant.seller_id, interval="month", discount_percent=10)  # fmt: skip


def seed_subscriptions(plan, as_of) -> None:
    from flowmart.subscriptions.calendar import cycle_at
    from flowmart.subscriptions.models import Subscription

    address = {"name": "B", "line1": "1 Main St", "line2": "", "city": "Newark", "postal_code": "07102",
               "country": "US", "phone": ""}  # fmt: skip
    anchor = as_of - timedelta(days=31)
    batch = []
    for customer in range(1, SUBS + 1):
        sub = Subscription(customer_id=customer, customer_email=f"b{customer}@example.com", plan=plan,
                           time_zone="UTC", anchor_at=anchor - timedelta(seconds=customer % 3600), anchor_cycle=1,
                           next_cycle=2, shipping_address=address, shipping_method="standard", provider="dummy",
                           payment_method="pm_card_visa")  # fmt: skip
        sub.next_billing_at = cycle_at(sub, 2)
        batch.append(sub)
        if len(batch) == 5000:
            Subscription.objects.bulk_create(batch)
            batch = []
    Subscription.objects.bulk_create(batch)


def emission(as_of) -> dict:
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "billing_run", "--as-of", as_of.isoformat()],
        cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    out, err = proc.stdout.read(), proc.stderr.read()
    if status != 0:
        raise RuntimeError(f"billing_run failed:\n{err[-3000:]}")
    renewals = int(out.split(": ")[1].split(" ")[0])
    cpu = usage.ru_utime + usage.ru_stime  # the run's own CPU (the PostgreSQL backend's is not in it)
    return {
        "renewals": renewals,
        "seconds": seconds,
        "cpu": cpu,
        "rss_mb": usage.ru_maxrss / 1024,
        "output": out.strip(),
    }


def saga() -> dict:
    """The first SAGA renewal orders through the whole saga, one delivery transaction each."""
    from flowmart.events.models import Delivery, OutboxEvent
    from flowmart.subscriptions.models import Renewal

    first = list(
        OutboxEvent.objects.filter(name="SubscriptionRenewalDue").order_by("pk").values_list("pk", flat=True)[:SAGA]
    )
    start_ids = list(Delivery.objects.filter(event_id__in=first).values_list("pk", flat=True))
    newest = Delivery.objects.order_by("-pk").values_list("pk", flat=True).first()
    started = time.monotonic()
    from flowmart.events import relay

    for i in range(0, len(start_ids), 500):
        relay.deliver_many(start_ids[i : i + 500])
    drain(after_delivery=newest)
    seconds = time.monotonic() - started
    paid = Renewal.objects.filter(status="paid", cycle=2).count()
    return {"renewals": len(first), "paid": paid, "seconds": seconds}


def main() -> int:
    prepare()
    from django.utils import timezone

    as_of = timezone.now()
    plan = seed_shop()
    t = time.monotonic()
    seed_subscriptions(plan, as_of)
    print(f"seeded {SUBS:,} due subscriptions in {time.monotonic() - t:.1f}s; load average at start {LOAD_AT_START}")
    emitted = emission(as_of)
    rate = emitted["renewals"] / emitted["seconds"]
    print(emitted["output"])
    print(f"emission: {emitted['renewals']:,} renewals in {emitted['seconds']:.1f}s = {rate:,.0f}/s "
          f"(target ≥ {TARGETS['renewals_per_second']:,}/s); peak RSS {emitted['rss_mb']:.0f} MB "
          f"(target < {TARGETS['peak_rss_mb']} MB); the run's own CPU {emitted['cpu']:.1f}s = "
          f"{emitted['renewals'] / emitted['cpu']:,.0f} renewals per CPU-second")  # fmt: skip
    result = saga()
    print(f"saga: {result['paid']:,} of {result['renewals']:,} renewal orders paid end to end in "
          f"{result['seconds']:.1f}s = {result['paid'] / result['seconds']:.1f} renewals/s (one process)")  # fmt: skip
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    ok = rate >= TARGETS["renewals_per_second"] and emitted["rss_mb"] < TARGETS["peak_rss_mb"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
