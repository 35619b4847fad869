"""Storefront product-list benchmark: GET /api/v1/products/ through gunicorn.

Sets up its own PostgreSQL database (flowmart_bench_catalog: dropped, created, migrated
with `manage.py migrate`), loads the demo catalogue (`demo_customers`, `demo_catalog`) and
the demo stock levels as InventoryAdjusted events (so `in_stock` and the availability
projection are real), starts gunicorn with 2 workers on 127.0.0.1:8101 in the production
shape (DEBUG=0, Redis cache), then 16 client threads (raw sockets, one connection per
request, as gunicorn's sync workers close them) request the first page of the product list
for BENCH_SECONDS (default 20) after a short warm-up. Prints requests/s and p50/p95/p99,
then the same with every request missing the list-page cache (for context).

    python -m bench catalog        # or: python -m bench.catalog
Target (issue 3): p99 < 50 ms at concurrency 16.
"""

import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "flowmart_bench_catalog"
REDIS_DB = os.environ.get("BENCH_CATALOG_REDIS_DB", "1")
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_CATALOG_PORT", "8101"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
WARMUP_SECONDS = 3.0
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
PATH = os.environ.get("BENCH_CATALOG_PATH", "/api/v1/products/")
TARGET_P99_MS = 50.0

ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    "CELERY_TASK_ALWAYS_EAGER": "1",  # demo events are delivered in-process while loading
    "DEBUG": "0",
    "ALLOWED_HOSTS": HOST,
    "SECURE_SSL_REDIRECT": "0",
    "SECRET_KEY": "bench-" + "c" * 60,
    "LOG_LEVEL": "ERROR",
    "LOG_FORMAT": "plain",
    "DJANGO_SETTINGS_MODULE": "flowmart.settings",
}

# Runs inside `manage.py shell`: inventory's demo stock, reported the way inventory reports it.
STOCK_SCRIPT = """
from django.db import transaction
from flowmart.common import demo
from flowmart.contracts.inventory import InventoryAdjusted, StockLevel
from flowmart.events import publish
levels = tuple(StockLevel(sku=v["sku"], available=sum(v["stock"].values()))
               for p in demo.products() for v in p["variants"])
with transaction.atomic():
    publish(InventoryAdjusted(reason="received", order_id=None, amendment_id=None, allocations=(), levels=levels))
"""


def manage(*args: str, stdin: str | None = None) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=ENV, check=True, input=stdin, text=True)


def prepare_database() -> None:
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {DB_NAME}"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {DB_NAME}"], check=True)
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, capture_output=True)
    manage("migrate", "--noinput", "-v", "0")
    manage("demo_customers")
    manage("demo_catalog")
    manage("shell", stdin=STOCK_SCRIPT)


def start_gunicorn() -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "flowmart.wsgi:application", "--workers", "2", "--bind", f"{HOST}:{PORT}", "--log-level", "warning"],
        cwd=ROOT,
        env=ENV,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, body = get(PATH)
            if status == 200:
                print(f"gunicorn up; {PATH} lists {json.loads(body)['count']} products", flush=True)
                return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer {PATH} with 200 within 30 s")


def get(path: str) -> tuple[int, bytes]:
    """One GET on a fresh connection, read to EOF (sync workers close after each response).

    Raw sockets rather than http.client: the client shares the CPUs with the server, and
    the less it spends per request, the less it inflates the latencies it measures."""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    with socket.create_connection((HOST, PORT), timeout=10) as sock:
        sock.sendall(request.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    status_line, _, rest = response.partition(b"\r\n")
    parts = status_line.split(b" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return status, rest.partition(b"\r\n\r\n")[2]


def drive(seconds: float, cold: bool = False) -> tuple[list[float], int, float]:
    """CLIENTS threads request PATH back to back for `seconds`; returns latencies (s), errors, elapsed.

    `cold`: every URL is unique (an ignored query parameter), so no page comes from the cache."""
    unique = itertools.count()
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        mine, failed = [], 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                status, _ = get(f"{PATH}?nocache={next(unique)}" if cold else PATH)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - started
            if status == 200:
                mine.append(elapsed)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.monotonic() - began


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def report(title: str, latencies: list[float], errors: int, elapsed: float, target: bool = True) -> bool:
    ordered = sorted(latencies)
    p50, p95, p99 = (percentile(ordered, f) * 1000 for f in (0.50, 0.95, 0.99))
    print(f"{title}: GET {PATH} — gunicorn 2 workers, {CLIENTS} concurrent clients, {elapsed:.1f} s")
    print(f"  requests: {len(ordered)} ok, {errors} failed; {len(ordered) / elapsed:.0f} requests/s")
    mean = statistics.fmean(ordered) * 1000
    print(f"  latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms (mean {mean:.1f})")
    ok = p99 < TARGET_P99_MS and errors == 0
    if target:
        print(f"  target p99 < {TARGET_P99_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    print(f"preparing {DB_NAME} (migrate, demo catalogue, demo stock)…", flush=True)
    prepare_database()
    server = start_gunicorn()
    try:
        drive(WARMUP_SECONDS)
        ok = report("storefront (cached pages)", *drive(SECONDS))
        # For context only (the target is about the page as the storefront serves it):
        # every request misses the page cache and runs the queries and the serializer.
        report("every request a cache miss (informational)", *drive(SECONDS, cold=True), target=False)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
