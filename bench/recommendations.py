"""Recommendations benchmark: "bought together" and "trending" over 1,000,000 order lines.

Sets up its own PostgreSQL database (flowmart_bench_recommendations: dropped, created,
migrated), then writes in SQL what the subscribers would have built from BENCH_LINES (default
1,000,000) paid order lines: BENCH_PRODUCTS (default 10,000) products, one SKU each, one in ten
unavailable; orders of 1–7 lines (about 250,000 orders) paid over the last 30 days, products
drawn with a long tail (the most popular product is in ~1 % of orders); the co-purchase pairs
and the trend scores aggregated from them exactly as services/orders.py adds them one order at
a time (count per pair in both directions; trend = log-sum-exp of log(qty) + age weight).

Measured:
1. GET /api/v1/products/{id}/recommendations/ (BENCH_REQUESTS, default 2,000, half for products
   drawn with the same long tail, so the busiest pair lists are well represented, half uniform)
   and GET /api/v1/products/trending/ (limit 10 and 50), in-process through Django's test client
   (URL routing, view, serializer, SQL; no HTTP server), one client, p50/p95/p99.
2. The refresh cost: BENCH_NEW_ORDERS (default 2,000) new orders of 1–7 lines, each through the
   two subscribers (OrderConfirmed → remember_order, OrderStatusChanged paid → count_paid_order),
   each event in its own transaction as the dispatcher runs them (the dispatcher's own inbox and
   delivery bookkeeping is measured by bench/events.py); then 200 orders of 30 products (capped
   at RECOMMENDATIONS_MAX_PRODUCTS_PER_ORDER = 20: 380 pair rows).

    python -m bench recommendations      # or: python -m bench.recommendations
"""

import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "flowmart_bench_recommendations"
REDIS_DB = os.environ.get("BENCH_RECOMMENDATIONS_REDIS_DB", "3")
LINES = int(os.environ.get("BENCH_LINES", "1000000"))
PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "10000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
NEW_ORDERS = int(os.environ.get("BENCH_NEW_ORDERS", "2000"))
SKEW = 2.5  # product = 1 + floor(random() ** SKEW * PRODUCTS): a long tail
EPOCH = "2025-01-01 00:00:00+00"

ENV = {
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    "CELERY_TASK_ALWAYS_EAGER": "1",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "testserver,127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "SECRET_KEY": "bench-" + "r" * 60,
    "LOG_LEVEL": "ERROR",
    "LOG_FORMAT": "plain",
    "DJANGO_SETTINGS_MODULE": "flowmart.settings",
}

# What the subscribers would have built from LINES paid order lines, aggregated in SQL.
LOAD_SQL = [
    """INSERT INTO recommendations_product
           (product_id, product_name, slug, price_amount, price_currency, retired, available, as_of)
       SELECT g, 'Product ' || g, 'product-' || g, (500 + g %% 9000) / 100.0, 'USD', false, g %% 10 <> 0, now()
       FROM generate_series(1, %(products)s) g""",
    """INSERT INTO recommendations_sku (sku, product_id, active, available, stock_as_of)
       SELECT 'SKU-' || g, g, true, CASE WHEN g %% 10 <> 0 THEN 5 ELSE 0 END, now()
       FROM generate_series(1, %(products)s) g""",
    """CREATE UNLOGGED TABLE bench_orders AS
       SELECT o AS order_id, 1 + floor(random() * 7)::int AS n_lines, now() - random() * interval '30 days' AS paid_at
       FROM generate_series(1, %(orders)s) o""",
    """CREATE UNLOGGED TABLE bench_lines AS
       SELECT o.order_id, 1 + floor(power(random(), %(skew)s) * %(products)s)::int AS product_id,
              1 + floor(random() * 3)::int AS qty, o.paid_at
       FROM bench_orders o CROSS JOIN LATERAL generate_series(1, o.n_lines) AS l(n)""",
    """CREATE UNLOGGED TABLE bench_order_products AS
       SELECT order_id, product_id, sum(qty) AS qty, min(paid_at) AS paid_at FROM bench_lines GROUP BY 1, 2""",
    """INSERT INTO recommendations_copurchase (product_id, other_id, count)
       SELECT a.product_id, b.product_id, count(*) FROM bench_order_products a
       JOIN bench_order_products b ON a.order_id = b.order_id AND a.product_id <> b.product_id
       GROUP BY 1, 2""",
    """UPDATE recommendations_product p SET trend = t.score FROM (
           SELECT product_id, m + ln(sum(exp(w - m))) AS score FROM (
               SELECT product_id, w, max(w) OVER (PARTITION BY product_id) AS m FROM (
                   SELECT product_id,
                          ln(qty) + extract(epoch FROM paid_at - %(epoch)s::timestamptz) * ln(2) / %(half_life)s AS w
                   FROM bench_order_products) x) y
           GROUP BY product_id, m) t
       WHERE p.product_id = t.product_id""",
    """INSERT INTO recommendations_order (order_id, lines, confirmed, paid_at, counted_at)
       SELECT order_id, '{}'::jsonb, true, paid_at, paid_at FROM bench_orders""",
    "ANALYZE",
]


def load(products: int) -> dict:
    from django.db import connection

    from flowmart.recommendations.trend import half_life_seconds

    params = {
        "products": products,
        "orders": LINES // 4,
        "skew": SKEW,
        "epoch": EPOCH,
        "half_life": half_life_seconds(),
    }
    with connection.cursor() as cursor:
        for statement in LOAD_SQL:
            cursor.execute(statement, params)
        cursor.execute("SELECT count(*) FROM bench_lines")
        lines = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM recommendations_copurchase")
        pairs = cursor.fetchone()[0]
        cursor.execute("SELECT max(c) FROM (SELECT count(*) c FROM recommendations_copurchase GROUP BY product_id) x")
        widest = cursor.fetchone()[0]
    return {"orders": params["orders"], "lines": lines, "pairs": pairs, "widest": widest}


def prepare_database() -> None:
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {DB_NAME}"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {DB_NAME}"], check=True)
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, capture_output=True)
    env = {**os.environ, **ENV}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(title: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    p50, p95, p99 = (percentile(ordered, f) * 1000 for f in (0.50, 0.95, 0.99))
    mean = sum(ordered) / len(ordered) * 1000
    print(f"  {title}: n={len(ordered)} mean {mean:.2f} ms, p50 {p50:.2f}, p95 {p95:.2f}, p99 {p99:.2f} ms", flush=True)


def timed_gets(paths: list[str]) -> list[float]:
    from django.test import Client

    client, took = Client(), []
    for path in paths[:50]:  # warm-up: connections, caches
        client.get(path)
    for path in paths:
        start = time.perf_counter()
        response = client.get(path)
        took.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return took


def timed_calls(call, args: list) -> list[float]:
    took = []
    for arg in args:
        start = time.perf_counter()
        call(arg)
        took.append(time.perf_counter() - start)
    return took


def measure_reads(rng: random.Random) -> None:
    from django.db import connection

    from flowmart.recommendations import selectors

    skewed = [1 + int(rng.random() ** SKEW * PRODUCTS) for _ in range(REQUESTS // 2)]
    uniform = [rng.randint(1, PRODUCTS) for _ in range(REQUESTS - len(skewed))]
    ids = skewed + uniform
    rng.shuffle(ids)
    print("reads through the API (in-process test client, one client):", flush=True)
    summary("bought together, limit 10", timed_gets([f"/api/v1/products/{i}/recommendations/" for i in ids]))
    summary("trending, limit 10", timed_gets(["/api/v1/products/trending/"] * REQUESTS))
    summary("trending, limit 50", timed_gets(["/api/v1/products/trending/?limit=50"] * REQUESTS))
    print("the same reads without the HTTP stack (selector: query + rows → dicts):", flush=True)
    summary("bought together, limit 10", timed_calls(lambda i: selectors.bought_together(i, 10), ids))
    summary("trending, limit 10", timed_calls(selectors.trending, [10] * REQUESTS))

    def round_trip(_):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    summary("baseline: one SELECT 1 round trip (this load's floor)", timed_calls(round_trip, [0] * REQUESTS))


def events_for(order_id: int, lines: dict[str, int]):
    from django.utils import timezone

    from flowmart.common.money import Money
    from flowmart.contracts.common import Address
    from flowmart.contracts.orders import OrderConfirmed, OrderLine, OrderStatusChanged

    price = Money(Decimal("10.00"), "USD")
    address = Address(name="B", line1="1", line2="", city="X", postal_code="1", country="DE", phone="")
    confirmed = OrderConfirmed(
        order_id=order_id,
        order_number=f"B-{order_id}",
        customer_id=1,
        customer_email="b@example.com",
        lines=tuple(OrderLine(sku=s, name=s, quantity=q, unit_price=price, seller_id=1) for s, q in lines.items()),
        shipping_address=address,
        shipping_method="standard",
        total=price,
    )
    paid = OrderStatusChanged(
        order_id=order_id,
        order_number=f"B-{order_id}",
        customer_id=1,
        customer_email="b@example.com",
        status="paid",
        previous_status="pending",
        occurred_at=timezone.now(),
    )
    return confirmed, paid


def measure_refresh(rng: random.Random, first_id: int, orders: int, products_per_order) -> None:
    from django.db import transaction

    from flowmart.recommendations import handlers

    confirm_took, paid_took = [], []
    for order_id in range(first_id, first_id + orders):
        n = products_per_order()
        lines = {f"SKU-{1 + int(rng.random() ** SKEW * PRODUCTS)}": rng.randint(1, 3) for _ in range(n)}
        confirmed, paid = events_for(order_id, lines)
        steps = ((handlers.remember_order, confirmed, confirm_took), (handlers.count_paid_order, paid, paid_took))
        for handler, event, took in steps:
            start = time.perf_counter()
            with transaction.atomic():
                handler(event)
            took.append(time.perf_counter() - start)
    summary("OrderConfirmed → remember_order", confirm_took)
    summary("OrderStatusChanged paid → count_paid_order (pairs + trend)", paid_took)
    per_order = [a + b for a, b in zip(confirm_took, paid_took, strict=True)]
    summary("per order (both events)", per_order)


def main() -> int:
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    os.environ.update(ENV)
    started = time.perf_counter()
    print(f"preparing {DB_NAME} (migrate)…", flush=True)
    prepare_database()
    import django

    django.setup()
    print(f"loading {LINES:,} order lines over {PRODUCTS:,} products…", flush=True)
    loaded = load(PRODUCTS)
    print(
        f"  {loaded['lines']:,} lines in {loaded['orders']:,} paid orders → {loaded['pairs']:,} pair rows "
        f"(widest product: {loaded['widest']:,} partners); set up in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    print(f"load average before measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    rng = random.Random(13)
    measure_reads(rng)
    print(f"refresh cost, {NEW_ORDERS} new orders of 1–7 lines (subscriber work per event):", flush=True)
    measure_refresh(rng, 10_000_000, NEW_ORDERS, lambda: rng.randint(1, 7))
    print("refresh cost, 200 orders of 30 products (capped to 20: 380 pair rows):", flush=True)
    measure_refresh(rng, 20_000_000, 200, lambda: 30)
    print("reads again after the new orders:", flush=True)
    measure_reads(rng)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
