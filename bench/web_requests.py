"""The web side of one checkout, in process: CPU and SQL statements per request, and their profile.

The four requests of bench/checkout.py's loop (open cart, add one item, checkout with the dummy
provider and an Idempotency-Key, then GET /orders/{id}/?wait=paid&timeout=10) go through Django's
WSGI handler exactly as gunicorn calls it (flowmart.wsgi.application: every middleware, DRF,
throttles, the JSON renderer), with the benchmark's production settings: DEBUG off, throttling on,
Redis cache and broker, PostgreSQL through the connection pool gunicorn runs with (DB_POOL=1; DB_POOL=0
for a connection per thread), Celery not eager (the checkout's deliveries are queued, as in
production). Only gunicorn's own HTTP parsing is left out, so the figures are robust to a busy
machine: CPU is the request thread's (time.thread_time), not wall time.

While the order request waits for `paid`, a second thread runs the checkout's event deliveries
(what the Celery worker does), so the waiting request takes the path it takes in the benchmark:
read, subscribe, re-read, give the connection back, wake up, read the order again. That thread's
CPU is not counted.

    python -m bench web_requests                 # BENCH_CHECKOUTS=150 (the first 20 not counted)
    BENCH_PROFILE=1 python -m bench web_requests # + cProfile of each request (top functions)

BENCH_DB_NAME (default flowmart_bench_web) is migrated and filled with the demo shop when empty;
BENCH_REDIS_DB (default 10) is flushed at the start and the end.
"""

import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from bench.checkout import ADDRESS
from bench.checkout import ENV as CHECKOUT_ENV

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = os.environ.get("BENCH_DB_NAME", "flowmart_bench_web")
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "10")
CHECKOUTS = int(os.environ.get("BENCH_CHECKOUTS", "150"))
WARM_UP = 20
PROFILE = os.environ.get("BENCH_PROFILE", "") not in ("", "0")
HOT_SKUS = 40
REQUESTS = ("open cart", "add item", "checkout", "order wait")
# bench/checkout.py's environment (production settings, limits raised so that one customer's loop is
# never refused) on this benchmark's database, with the receipt e-mail kept in memory.
ENV = {
    **CHECKOUT_ENV,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    # gunicorn's connection pool (docker/gunicorn.conf.py sets DB_POOL=1): without it every order wait
    # and the open cart after it paid a new PostgreSQL connection the served web never pays.
    "DB_POOL": os.environ.get("DB_POOL", "1"),
}


def configure() -> None:
    os.environ.update(ENV)
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, capture_output=True)
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAqc"]
    exists = subprocess.run([*psql, f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"], capture_output=True)
    if not exists.stdout.strip():
        subprocess.run([*psql, f"CREATE DATABASE {DB_NAME}"], check=True)
    filled = subprocess.run(
        [*psql[:-1], "-d", DB_NAME, "-tAqc", "SELECT count(*) FROM catalog_variant"], capture_output=True, text=True
    )
    if filled.returncode or filled.stdout.strip() in ("", "0"):
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, check=True)
        eager = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "1"}
        subprocess.run([*manage, "demo_data"], cwd=ROOT, env=eager, check=True, stdout=subprocess.DEVNULL)
    sys.path.insert(0, str(ROOT))


def shopper() -> tuple[str, list[str]]:
    """A fresh customer's token and the SKUs to buy: the best stocked, so that runs on the same
    database keep finding stock (drop the database for a fresh demo shop)."""
    from flowmart.customers.models import ApiToken, User
    from flowmart.orders.models import SkuAvailability
    from flowmart.orders.promotion_models import DealStock

    stocked = SkuAvailability.objects.filter(available__gte=(WARM_UP + CHECKOUTS) // HOT_SKUS + 2).exclude(
        sku__in=DealStock.objects.values("sku")  # a lightning deal sells out long before its stock does
    )
    skus = sorted(stocked.order_by("-available", "sku").values_list("sku", flat=True)[:HOT_SKUS])
    if len(skus) < HOT_SKUS:
        raise SystemExit(f"{DB_NAME} is short of stock: drop it for a fresh demo shop")
    user = User.objects.create_user(email=f"web-bench-{uuid.uuid4().hex[:12]}@example.com", password="x")
    return ApiToken.issue(user)[1], skus[:HOT_SKUS]


class Call:
    """One request through the WSGI application, as gunicorn would hand it over."""

    def __init__(self, application, token: str):
        self.application, self.token = application, token

    def __call__(self, method: str, path: str, body: bytes = b"", query: str = "", **headers) -> tuple[int, bytes]:
        environ = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8110",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "40000",
            "HTTP_HOST": "127.0.0.1:8110",
            "HTTP_ACCEPT_ENCODING": "identity",
            "HTTP_USER_AGENT": "Python-urllib/3.12",
            "HTTP_CONNECTION": "close",
            "HTTP_AUTHORIZATION": f"Bearer {self.token}",
            "CONTENT_TYPE": "application/json",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if body:
            environ["CONTENT_LENGTH"] = str(len(body))
        environ.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
        status = []
        result = self.application(environ, lambda s, h, exc_info=None: status.append(s))
        try:
            content = b"".join(result)
        finally:
            result.close()  # request_finished: what gunicorn triggers after the response is written
        return int(status[0].split()[0]), content


def deliver_everything() -> None:
    """The worker's part: deliver every pending delivery until none is left (their own CPU, not counted)."""
    from django.db import connection

    from flowmart.events.models import Delivery
    from flowmart.events.relay import deliver_many

    try:
        while ids := list(Delivery.objects.filter(status=Delivery.Status.PENDING).values_list("pk", flat=True)):
            deliver_many(ids)
    finally:
        connection.close()


class Meter:
    """CPU ms (this thread's), statements and (optionally) a profile, per kind of request."""

    def __init__(self):
        from django.db import connection

        self.cpu = {name: [] for name in REQUESTS}
        self.statements = {name: [] for name in REQUESTS}
        self.profiles = {name: cProfile.Profile(time.thread_time) for name in REQUESTS} if PROFILE else {}
        self.counted = 0
        connection.execute_wrappers.append(self._count)

    def _count(self, execute, sql, params, many, context):
        self.counted += 1
        return execute(sql, params, many, context)

    def run(self, name: str, record: bool, call, *args, **kwargs):
        profile = self.profiles.get(name) if record else None
        self.counted = 0
        started = time.thread_time()
        if profile:
            profile.enable()
        try:
            return call(*args, **kwargs)
        finally:
            if profile:
                profile.disable()
            spent = time.thread_time() - started
            if record:
                self.cpu[name].append(spent * 1000)
                self.statements[name].append(self.counted)


def checkout_once(call: Call, meter: Meter, sku: str, record: bool) -> str:
    import json

    status, cart = meter.run("open cart", record, call, "POST", "/api/v1/carts/", b"{}")
    assert status in (200, 201), cart
    cart_id = json.loads(cart)["id"]
    item = json.dumps({"sku": sku, "quantity": 1}).encode()
    status, body = meter.run("add item", record, call, "POST", f"/api/v1/carts/{cart_id}/items/", item)
    assert status == 201, body
    order = {
        "cart_id": cart_id,
        "shipping_address": ADDRESS,
        "shipping_method": "standard",
        "payment": {"provider": "dummy", "payment_method": "pm_card_visa"},
    }
    body = json.dumps(order).encode()
    status, placed = meter.run(
        "checkout", record, call, "POST", "/api/v1/checkout/", body, IDEMPOTENCY_KEY=uuid.uuid4().hex
    )
    assert status == 201, placed
    order_id = json.loads(placed)["order_id"]
    worker = threading.Timer(0.03, deliver_everything)  # after the request has started waiting
    worker.start()
    try:
        status, answer = meter.run(
            "order wait", record, call, "GET", f"/api/v1/orders/{order_id}/", query="wait=paid&timeout=10"
        )
    finally:
        worker.join()
    assert status == 200, answer
    return json.loads(answer)["status"]


def report(meter: Meter, statuses: list[str]) -> None:
    states = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(
        f"{len(meter.cpu['checkout'])} checkouts measured ({WARM_UP} before them not counted), order states: ", states
    )
    print(f"{'request':<12} {'CPU ms median':>14} {'mean':>7} {'p90':>7} {'statements':>11}")
    total_median = total_mean = 0.0
    for name in REQUESTS:
        cpu = sorted(meter.cpu[name])
        counts = sorted(set(meter.statements[name]))
        median, mean, p90 = statistics.median(cpu), statistics.mean(cpu), cpu[int(0.9 * (len(cpu) - 1))]
        total_median, total_mean = total_median + median, total_mean + mean
        print(f"{name:<12} {median:>14.2f} {mean:>7.2f} {p90:>7.2f} {'/'.join(map(str, counts)):>11}")
    print(f"{'per checkout':<12} {total_median:>14.2f} {total_mean:>7.2f}")
    for name, profile in meter.profiles.items():
        profile.dump_stats(f"/tmp/web_requests-{name.replace(' ', '_')}.prof")  # for pstats' callers/callees
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        calls = stats.total_calls / max(len(meter.cpu[name]), 1)
        out.write(f"\n{name}: {calls:,.0f} Python calls per request (noise does not move it)\n")
        out.write(f"\n===== {name}: by own time =====\n")
        stats.sort_stats("tottime").print_stats(25)
        out.write(f"\n===== {name}: by cumulative time =====\n")
        stats.sort_stats("cumulative").print_stats(45)
        out.write(f"\n===== {name}: FlowMart's own functions, by cumulative time =====\n")
        stats.sort_stats("cumulative").print_stats("flowmart/", 40)
        print(out.getvalue())


def main() -> int:
    configure()
    import django

    django.setup()
    from django.db import connection

    from flowmart.wsgi import application

    token, skus = shopper()
    connection.close()  # each request opens (or keeps) the connection as in a gunicorn thread
    call, meter = Call(application, token), Meter()
    statuses = []
    for n in range(WARM_UP + CHECKOUTS):
        statuses.append(checkout_once(call, meter, skus[n % len(skus)], record=n >= WARM_UP))
    report(meter, statuses[WARM_UP:])
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
