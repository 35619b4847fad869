"""Inventory reservation benchmark: the reserve service itself under contention.

16 concurrent clients (processes, each with its own PostgreSQL connection) call
services.reserve_order for 1-unit single-line orders, in two scenarios:
  (a) hot   — every order wants the same SKU (its rows are locked by every reservation);
  (b) spread — orders pick one of 1,000 SKUs at random.
Reports reservations/s and p50/p99 latency per reservation, then proves zero oversell:
reserved == successful reservations, the ledger balances (check_inventory's selector)
and no stock row is negative or over-reserved.

Event publishing is part of the measured work (outbox row + one delivery row per
subscriber, in the reservation's transaction). Celery is NOT eager here: the after-commit
nudge goes to a Redis broker with no worker listening, so deliveries just queue (they are
purged at the end); no subscriber runs during the measurement.

    python -m bench inventory      # BENCH_SECONDS=15 per scenario, BENCH_CLIENTS=16
    BENCH_PROFILE=300 python -m bench inventory   # cProfile of 300 reservations in one process

BENCH_DB_NAME and BENCH_REDIS_DB choose the database and Redis db (so two runs never collide).

Reservations commit as they do in a Celery worker (synchronous_commit=off, see
flowmart/celery.py); BENCH_COMMIT=durable measures them with a WAL flush per commit.
Targets (issue 3): (b) >= 1,000 reservations/s, (a) >= 300/s, zero oversell.
"""

import os
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal

DB_NAME = os.environ.get("BENCH_DB_NAME", "flowmart_bench_inventory")
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "2")
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
SPREAD_SKUS = 1000
TARGETS = {"hot": 300, "spread": 1000}


def configure() -> None:
    """Point Django at the bench database and a queue-only broker, then set it up."""
    os.environ.update(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
            "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DEBUG": "0",  # no per-query logging in the measured path
            "SECURE_SSL_REDIRECT": "0",
            "SECRET_KEY": "bench-" + "k" * 60,
            "LOG_LEVEL": "ERROR",
            "DJANGO_SETTINGS_MODULE": "flowmart.settings",
        }
    )
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {DB_NAME}"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {DB_NAME}"], check=True)
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, capture_output=True)
    import django

    django.setup()
    from django.core.management import call_command

    for app in ("events", "inventory"):  # only what the reserve path touches
        call_command("migrate", app, verbosity=0)
    if os.environ.get("BENCH_COMMIT", "worker") == "worker":
        # Reservations run in Celery workers (the OrderConfirmed subscriber), which commit
        # asynchronously: measure them committing the same way (BENCH_COMMIT=durable to compare).
        from django.db import connection

        from flowmart.celery import commit_asynchronously

        commit_asynchronously()
        connection.close()


def seed(skus: list[str], per_warehouse: int) -> None:
    """Stock for every SKU in the three demo warehouses, with its receive ledger lines
    (bulk-inserted: setup is not what is measured, but the ledger must balance)."""
    from django.db import transaction

    from flowmart.common import demo
    from flowmart.inventory.models import StockLevel, StockMovement, Warehouse

    with transaction.atomic():
        warehouses = [
            Warehouse.objects.get_or_create(
                code=w["code"],
                defaults={
                    "name": w["name"],
                    "country": w["country"],
                    "latitude": Decimal(w["latitude"]),
                    "longitude": Decimal(w["longitude"]),
                },
            )[0]
            for w in demo.WAREHOUSES
        ]
        StockLevel.objects.bulk_create(
            [StockLevel(sku=s, warehouse=w, on_hand=per_warehouse) for s in skus for w in warehouses], batch_size=2000
        )
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    kind="receive",
                    sku=s,
                    warehouse=w,
                    on_hand_delta=per_warehouse,
                    reserved_delta=0,
                    on_hand_after=per_warehouse,
                    reserved_after=0,
                    reason="bench",
                    reference="bench",
                )
                for s in skus
                for w in warehouses
            ],
            batch_size=2000,
        )


def run(name: str, pick_sku, first_id: int) -> dict:
    """CLIENTS client processes reserving for SECONDS; returns throughput and latency figures.

    Processes, not threads: in production reservations run in separate worker processes,
    and threads in one interpreter would measure the GIL instead of the reservation."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # every child opens its own connection after the fork
    ctx = multiprocessing.get_context("fork")
    barrier, stop, results = ctx.Barrier(CLIENTS + 1), ctx.Event(), ctx.Queue()
    clients = [
        ctx.Process(target=_client, args=(i, pick_sku, first_id + i * 10_000_000, barrier, stop, results))
        for i in range(CLIENTS)
    ]
    for process in clients:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(SECONDS)
    stop.set()
    gathered = [results.get() for _ in clients]
    elapsed = time.perf_counter() - started
    for process in clients:
        process.join()
    flat = sorted(x for latencies, _, _ in gathered for x in latencies)
    return {
        "name": name,
        "calls": len(flat),
        "failed": sum(failed for _, failed, _ in gathered),
        "errors": [e for _, _, errors in gathered for e in errors],
        "per_second": len(flat) / elapsed,
        "p50_ms": statistics.median(flat) * 1000 if flat else 0.0,
        "p99_ms": flat[int(len(flat) * 0.99) - 1] * 1000 if flat else 0.0,
    }


def _client(index: int, pick_sku, first_order_id: int, barrier, stop, results) -> None:
    from django.db import connection

    from flowmart.inventory import services

    rng, order_id = random.Random(index), first_order_id
    latencies, failed, errors = [], 0, []
    connection.ensure_connection()
    barrier.wait()
    try:
        while not stop.is_set():
            start = time.perf_counter()
            outcome = services.reserve_order(order_id=order_id, lines=[(pick_sku(rng), 1)], destination_country="US")
            latencies.append(time.perf_counter() - start)
            failed += not outcome.ok
            order_id += 1
    except Exception as exc:  # reported, and fails the run
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
        results.put((latencies, failed, errors))


def verify(skus: list[str], successes: int) -> list[str]:
    """Zero oversell: stock rows, reservations and ledger agree and nothing is negative."""
    from django.db.models import F, Sum

    from flowmart.inventory.models import Reservation, StockLevel, StockMovement
    from flowmart.inventory.selectors import inventory_drift

    problems = [str(d) for d in inventory_drift()]
    levels = StockLevel.objects.filter(sku__in=skus)
    reserved = levels.aggregate(r=Sum("reserved"))["r"] or 0
    ledger = StockMovement.objects.filter(sku__in=skus, kind="reserve").aggregate(r=Sum("reserved_delta"))["r"] or 0
    held = Reservation.objects.filter(sku__in=skus).aggregate(q=Sum("quantity"))["q"] or 0
    if not reserved == ledger == held == successes:
        problems.append(f"reserved {reserved}, ledger {ledger}, reservations {held}, successes {successes}")
    if levels.filter(reserved__gt=F("on_hand")).exists() or levels.filter(on_hand__lt=0).exists():
        problems.append("a stock row is over-reserved or negative")
    return problems


def report(result: dict, problems: list[str]) -> bool:
    target = TARGETS[result["name"]]
    met = result["per_second"] >= target and not problems and not result["errors"]
    print(
        f"{result['name']:>6}: {result['per_second']:8.1f} reservations/s (target >= {target}) "
        f"p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  "
        f"calls {result['calls']}  out-of-stock {result['failed']}  "
        f"oversell/drift: {'none' if not problems else problems[:3]}  {'OK' if met else 'MISSED'}",
        flush=True,
    )
    for error in result["errors"][:5]:
        print(f"        error: {error}")
    return met


def profile(count: int, skus: list[str]) -> None:
    """`count` reservations in this one process, first timed (CPU and wall per reservation,
    statements sent), then again under cProfile; prints where the CPU goes."""
    import cProfile
    import pstats

    from django.db import connection

    from flowmart.inventory import services

    sent = 0

    def counting(execute, sql, params, many, context):
        nonlocal sent
        sent += 1
        return execute(sql, params, many, context)

    rng, order_id = random.Random(1), 3_000_000_000

    def reserve_many(n: int) -> None:
        nonlocal order_id
        for _ in range(n):
            services.reserve_order(order_id=order_id, lines=[(rng.choice(skus), 1)], destination_country="US")
            order_id += 1

    reserve_many(50)  # warm caches and the connection
    with connection.execute_wrapper(counting):
        cpu, wall = time.process_time(), time.perf_counter()
        reserve_many(count)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"profile: {count} reservations in one process: {cpu / count * 1000:.2f} ms CPU and "
        f"{wall / count * 1000:.2f} ms wall each, {sent / count:.1f} statements each (+ BEGIN, COMMIT)",
        flush=True,
    )
    profiler = cProfile.Profile(time.process_time)  # CPU, not waits on the database
    profiler.enable()
    reserve_many(count)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(60)


def main() -> int:
    configure()
    from flowmart.events.models import Delivery, OutboxEvent
    from flowmart.events.registry import subscribers_for

    subscribers = [s.name for s in subscribers_for("InventoryAdjusted")]
    print(
        f"inventory bench: {CLIENTS} clients, {SECONDS:.0f}s per scenario, PostgreSQL {DB_NAME}; "
        f"deliveries queue on redis db {REDIS_DB} with no worker; InventoryAdjusted subscribers: {subscribers}",
        flush=True,
    )
    spread = [f"BENCH-{n:04d}" for n in range(SPREAD_SKUS)]
    seed(["HOT"], per_warehouse=1_000_000)
    seed(spread, per_warehouse=1_000)
    if os.environ.get("BENCH_PROFILE"):
        profile(int(os.environ["BENCH_PROFILE"]), spread)
        return 0

    ok = True
    for scenario, (name, skus, pick) in enumerate(
        [
            ("hot", ["HOT"], lambda rng: "HOT"),
            ("spread", spread, lambda rng: rng.choice(spread)),
        ]
    ):
        result = run(name, pick, first_id=1 + scenario * 1_000_000_000)
        ok &= report(result, verify(skus, result["calls"] - result["failed"]))
    print(
        f"published {OutboxEvent.objects.count()} events, {Delivery.objects.count()} deliveries queued "
        "(purged now: no worker ran them)",
        flush=True,
    )
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=False, capture_output=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
