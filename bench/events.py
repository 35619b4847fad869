"""Dispatcher benchmark: subscriber deliveries per second, outbox lag, worker memory.

One event type with three subscribers, each writing one row (the test probe context:
tests.probe), PostgreSQL, Redis, and one `celery worker --concurrency=2` (two worker
processes) on this machine. Three measurements:

  (a) throughput — N events published one per transaction as fast as one publisher can,
      with the workers running: deliveries / (last delivery done − first publish).
      Also the drain rate of a backlog published while the workers were stopped
      (worker capacity without a publisher competing for the CPUs).
  (b) lag — events published at half of (a)'s rate for a while; lag of each delivery =
      Delivery.delivered_at − OutboxEvent.created_at (publish → subscriber done), p50/p95/p99.
  (c) worker RSS — `ps` of the worker's main and child processes after the runs.

    python -m bench events        # BENCH_EVENTS=3000 events, BENCH_LAG_SECONDS=15, BENCH_WORKER_CONCURRENCY=2

Its own database (BENCH_EVENTS_DB, default flowmart_bench_events, dropped and migrated each
run) and Redis number (BENCH_EVENTS_REDIS_URL, default db 10). The workers deliver with the
settings' EVENTS_DELIVERIES_PER_TRANSACTION (a commit's three deliveries share a transaction;
set it to 1 for one transaction per delivery); `delivered_at`, and so the lag, is when the
last delivery of a shared transaction finished.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = os.environ.get("BENCH_EVENTS_DB", "flowmart_bench_events")
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_EVENTS_REDIS_URL", "redis://127.0.0.1:6379/10")
EVENTS = int(os.environ.get("BENCH_EVENTS", "3000"))
LAG_SECONDS = float(os.environ.get("BENCH_LAG_SECONDS", "15"))
CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "2"))  # the worker's pool processes
SUBSCRIBERS = 3  # tests.probe: record_first, record_second, record_flaky
TARGETS = {"deliveries_per_second": 1000, "lag_p99_ms": 100, "worker_rss_mb": 150}
LOAD_AT_START = os.getloadavg()  # the figures only mean something on an otherwise quiet machine

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "tests.settings",  # adds the probe context and its subscribers
    "DATABASE_URL": f"{PG_URL}/{DB_NAME}",
    "REDIS_URL": REDIS_URL,
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "DEBUG": "0",  # DEBUG keeps every SQL query in memory
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "WARNING",
    "LOG_FORMAT": "plain",
    "PYTHONPATH": str(ROOT),
}


def prepare() -> None:
    """A fresh database and Redis number, migrated, then Django set up in this process."""
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
    from django.db import connection

    from tests.probe.models import ProbeRecord, ProbeSwitch

    with connection.schema_editor() as editor:  # the probe app ships no migrations (tests run without them)
        editor.create_model(ProbeRecord)
        editor.create_model(ProbeSwitch)


class Worker:
    """`celery worker --concurrency=2` as a subprocess; ready when it answers a ping."""

    def __init__(self):
        self.log = Path("/tmp") / f"flowmart-bench-events-worker-{os.getpid()}.log"
        self.process = None

    def __enter__(self):
        from flowmart.celery import app

        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "flowmart", "worker", "--loglevel=WARNING",
             f"--concurrency={CONCURRENCY}", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"bench-events-{os.getpid()}@%h"],
            cwd=ROOT, env=ENV, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not start:\n{self.log.read_text()[-3000:]}")
        return self

    def rss_mb(self) -> dict[str, float]:
        """Resident memory of the main process and of each child that runs tasks."""
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        ).stdout.split()
        result = {}
        for role, pid in [("main", self.process.pid), *[(f"child {p}", p) for p in children]]:
            rss_kb = subprocess.run(["ps", "-o", "rss=", "-p", str(pid)], capture_output=True, text=True).stdout
            result[role] = int(rss_kb.strip() or 0) / 1024
        return result

    def __exit__(self, exc_type, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if exc_type is None:
            self.log.unlink(missing_ok=True)  # kept only when something went wrong


def publish_one(note: str) -> None:
    from django.db import transaction

    from flowmart.events import publish
    from tests.probe.handlers import ProbeHappened

    with transaction.atomic():
        publish(ProbeHappened(note=note))


def wait_delivered(since_event_pk: int, timeout: float = 300) -> None:
    from flowmart.events.models import Delivery

    pending = Delivery.objects.filter(event_id__gt=since_event_pk).exclude(status="done")
    deadline = time.monotonic() + timeout
    while pending.exists():
        failed = pending.exclude(last_error="").values_list("last_error", flat=True).first()
        if failed:
            raise RuntimeError(f"a delivery failed during the benchmark: {failed}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{pending.count()} deliveries still not done after {timeout}s")
        time.sleep(0.2)
    dead = Delivery.objects.filter(event_id__gt=since_event_pk, status="dead").count()
    if dead:
        raise RuntimeError(f"{dead} deliveries died during the benchmark")


def last_event_pk() -> int:
    from flowmart.events.models import OutboxEvent

    return OutboxEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def delivery_window(since_event_pk: int):
    from django.db.models import Count, Max, Min

    from flowmart.events.models import Delivery

    return Delivery.objects.filter(event_id__gt=since_event_pk).aggregate(
        n=Count("pk"), first=Min("delivered_at"), last=Max("delivered_at"), published=Min("event__created_at")
    )


def throughput_end_to_end() -> dict:
    """Publish EVENTS events as fast as possible while the workers deliver them."""
    since = last_event_pk()
    started = time.monotonic()
    for _ in range(EVENTS):
        publish_one("throughput")
    publish_seconds = time.monotonic() - started
    wait_delivered(since)
    w = delivery_window(since)
    seconds = (w["last"] - w["published"]).total_seconds()
    return {
        "deliveries": w["n"],
        "seconds": seconds,
        "deliveries_per_second": w["n"] / seconds,
        "publish_events_per_second": EVENTS / publish_seconds,
    }


def throughput_backlog() -> dict:
    """Publish EVENTS events with no worker running, then time how fast two workers drain them."""
    since = last_event_pk()
    for _ in range(EVENTS):
        publish_one("backlog")
    with Worker():
        wait_delivered(since)
    w = delivery_window(since)
    seconds = (w["last"] - w["first"]).total_seconds()
    return {"deliveries": w["n"], "seconds": seconds, "deliveries_per_second": w["n"] / seconds}


def lag_at(deliveries_per_second: float) -> dict:
    """Publish at a steady rate for LAG_SECONDS; return publish → done latencies."""
    from django.db.models import F

    from flowmart.events.models import Delivery

    events_per_second = deliveries_per_second / SUBSCRIBERS
    interval = 1.0 / events_per_second
    since = last_event_pk()
    count = int(LAG_SECONDS * events_per_second)
    started = time.monotonic()
    for i in range(count):
        publish_one("lag")
        sleep = started + (i + 1) * interval - time.monotonic()
        if sleep > 0:
            time.sleep(sleep)
    achieved = count / (time.monotonic() - started)
    wait_delivered(since)
    lags = sorted(
        (d.total_seconds() * 1000)
        for d in Delivery.objects.filter(event_id__gt=since)
        .annotate(lag=F("delivered_at") - F("event__created_at"))
        .values_list("lag", flat=True)
    )
    cuts = statistics.quantiles(lags, n=100, method="inclusive")
    return {
        "target_deliveries_per_second": deliveries_per_second,
        "achieved_deliveries_per_second": achieved * SUBSCRIBERS,
        "deliveries": len(lags),
        "p50_ms": cuts[49],
        "p95_ms": cuts[94],
        "p99_ms": cuts[98],
        "max_ms": lags[-1],
    }


def report(backlog, e2e, lag, rss) -> int:
    worst_rss = max(rss.values())
    print(f"\nDispatcher benchmark: {EVENTS} events × {SUBSCRIBERS} subscribers, {CONCURRENCY} worker processes")
    print(f"  backlog drain        {backlog['deliveries_per_second']:8.0f} deliveries/s "
          f"({backlog['deliveries']} in {backlog['seconds']:.2f}s)")  # fmt: skip
    print(f"  publish + deliver    {e2e['deliveries_per_second']:8.0f} deliveries/s "
          f"({e2e['deliveries']} in {e2e['seconds']:.2f}s; "
          f"publisher {e2e['publish_events_per_second']:.0f} events/s)")  # fmt: skip
    print(f"  lag at {lag['achieved_deliveries_per_second']:.0f} deliveries/s: p50 {lag['p50_ms']:.1f} ms, "
          f"p95 {lag['p95_ms']:.1f} ms, p99 {lag['p99_ms']:.1f} ms, max {lag['max_ms']:.1f} ms "
          f"({lag['deliveries']} deliveries)")  # fmt: skip
    print("  worker RSS           " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()))
    print(f"  load average         {LOAD_AT_START[0]:.2f} at start, {os.getloadavg()[0]:.2f} at the end (2 cores)")
    checks = [
        ("deliveries/s (publish + deliver)", e2e["deliveries_per_second"], ">=", TARGETS["deliveries_per_second"]),
        ("lag p99 ms at half load", lag["p99_ms"], "<", TARGETS["lag_p99_ms"]),
        ("worker RSS MB (largest process)", worst_rss, "<", TARGETS["worker_rss_mb"]),
    ]
    missed = 0
    for label, measured, op, target in checks:
        ok = measured >= target if op == ">=" else measured < target
        missed += not ok
        print(f"  {'MET ' if ok else 'MISS'} {label}: {measured:.1f} {op} {target}")
    return 1 if missed else 0


def main() -> int:
    prepare()
    backlog = throughput_backlog()
    with Worker() as worker:
        publish_one("warm-up")  # first connections of each child
        time.sleep(1)
        e2e = throughput_end_to_end()
        lag = lag_at(e2e["deliveries_per_second"] / 2)
        rss = worker.rss_mb()
    return report(backlog, e2e, lag, rss)


if __name__ == "__main__":
    sys.exit(main())
