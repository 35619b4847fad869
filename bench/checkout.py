"""Checkout benchmark: the full storefront flow under load.

add to cart → checkout → wait until `paid`, through gunicorn as docker/gunicorn.conf.py runs it
(2 worker processes of GUNICORN_THREADS threads) with one Celery worker of 2 processes, on
PostgreSQL + Redis, dummy payment provider, at concurrency 1, 8 and 32. The client waits on
`GET /orders/{id}/?wait=paid` (BENCH_CLIENT=wait, the default) or polls with back-off as before
(BENCH_CLIENT=poll). Reports completed checkouts/s and accepted → paid latency from the order's own
timestamps (created_at and the `paid` timeline entry), the client's own accepted → paid (checkout
answered → the client holds the paid order), plus SQL queries and Celery tasks per checkout.

Notifications are measured too: every checkout's receipt is emailed through a real SMTP server
(aiosmtpd, started here on loopback) by the same worker. Reported: event → sent latency
(`PaymentProcessed` occurred_at → message sent_at), the sustained rate of sent messages under the
checkout load, and the sending rate of a backlog of messages on its own.

    python -m bench checkout            # BENCH_SECONDS=60 by default
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("BENCH_PORT", "8110"))
BASE = f"http://127.0.0.1:{PORT}"
DB_NAME = os.environ.get("BENCH_DB_NAME", "flowmart_bench_checkout")
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "9")
SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
LEVELS = [int(x) for x in os.environ.get("BENCH_LEVELS", "1,8,32").split(",")]
HOT_SKUS = 40
CLIENT_MODE = os.environ.get("BENCH_CLIENT", "wait")
if CLIENT_MODE not in ("wait", "poll"):
    raise SystemExit("BENCH_CLIENT is wait or poll")
ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECRET_KEY": "bench-" + "k" * 60,
    "THROTTLE_AUTH_RATE": "100000/min",
    "THROTTLE_USER_RATE": "1000000/min",
    # The per-customer checkout and sign-up limits guard the shop, not the benchmark's load.
    "THROTTLE_CHECKOUT_RATE": "1000000/min",
    "THROTTLE_REGISTER_RATE": "1000000/min",
    "THROTTLE_LOGIN_ACCOUNT_RATE": "1000000/min",
    "LOG_LEVEL": "WARNING",
    # One IP and one test card place every order: judge each order on its own.
    "FRAUD_MAX_ORDERS_PER_CARD": "100000000",
    "FRAUD_MAX_ORDERS_PER_IP": "100000000",
    "FRAUD_MAX_ORDERS_PER_CUSTOMER": "100000000",
    "DJANGO_SETTINGS_MODULE": "flowmart.settings",
    # The web server as deployed (docker/gunicorn.conf.py), on the bench port, without an access log line per request.
    "WEB_CONCURRENCY": "2",
    "GUNICORN_BIND": f"127.0.0.1:{PORT}",
    "GUNICORN_ACCESS_LOG": "",
}
PY = sys.executable


def manage(*args, **kwargs):
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=ENV, check=True, **kwargs)


def psql(sql: str, db: str = "postgres") -> str:
    cmd = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAqc", sql]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def shell(code: str, **env) -> str:
    """Run Django code against the bench database; return its last line of output."""
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", code], cwd=ROOT, env={**ENV, **env}, check=True, capture_output=True, text=True
    ).stdout
    return out.strip().splitlines()[-1]


SKUS_AND_STAFF = f"""
import json
from flowmart.catalog.models import Variant
from flowmart.customers.models import ApiToken, User
skus = list(Variant.objects.filter(active=True, product__active=True).order_by("sku").values_list("sku", flat=True))
staff = User.objects.create_user(email="bench-staff@flowmart.local", password="x", is_staff=True, is_superuser=True)
print(json.dumps({{"skus": skus[:{HOT_SKUS}], "token": ApiToken.issue(staff)[1]}}))
"""


def prepare_database() -> tuple[list[str], str]:
    """A fresh database with the demo shop; returns the SKUs to buy and a staff token."""
    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, capture_output=True)
    manage("migrate", "-v0")
    eager = {**ENV, "CELERY_TASK_ALWAYS_EAGER": "1"}
    subprocess.run([PY, "manage.py", "demo_data"], cwd=ROOT, env=eager, check=True, stdout=subprocess.DEVNULL)
    found = json.loads(shell(SKUS_AND_STAFF))
    return found["skus"], found["token"]


class Client:
    def __init__(self, token: str | None = None):
        self.token = token

    def call(self, method: str, path: str, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(BASE + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")


ADDRESS = {
    "name": "Bench Buyer",
    "line1": "1 Main St",
    "line2": "",
    "city": "Newark",
    "postal_code": "07102",
    "country": "US",
    "phone": "+15555550100",
}


def checkout_once(client: Client, sku: str) -> dict | None:
    status, cart = client.call("POST", "/api/v1/carts/", {})
    if status not in (200, 201):
        return {"error": f"cart {status} {cart}"}
    status, _ = client.call("POST", f"/api/v1/carts/{cart['id']}/items/", {"sku": sku, "quantity": 1})
    if status != 201:
        return {"error": f"item {status}"}
    body = {
        "cart_id": cart["id"],
        "shipping_address": ADDRESS,
        "shipping_method": "standard",
        "payment": {"provider": "dummy", "payment_method": "pm_card_visa"},
    }
    status, res = client.call("POST", "/api/v1/checkout/", body, {"Idempotency-Key": uuid.uuid4().hex})
    if status != 201:
        return {"error": f"checkout {status} {res}"}
    accepted = time.monotonic()
    order = wait_until_settled(client, res["order_id"]) if CLIENT_MODE == "wait" else poll(client, res["order_id"])
    if "error" not in order:
        order["seen_after_s"] = time.monotonic() - accepted  # the client's own accepted → settled
    return order


SETTLED = ("paid", "cancelled")


def poll(client: Client, order_id) -> dict:
    deadline, pause = time.monotonic() + 30, 0.025
    while time.monotonic() < deadline:
        status, order = client.call("GET", f"/api/v1/orders/{order_id}/")
        if order["status"] in SETTLED:
            return order
        time.sleep(pause)
        pause = min(pause * 2, 0.2)  # a polite client backs off
    return {"error": "not settled in 30 s"}


def wait_until_settled(client: Client, order_id) -> dict:
    """One request that the server answers when the order is paid (or will not be); asked again after a timeout."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, order = client.call("GET", f"/api/v1/orders/{order_id}/?wait=paid&timeout=10")
        if status != 200:
            return {"error": f"wait {status} {order}"}
        if order["status"] in SETTLED:
            return order
        if order["status"] not in ("pending", "awaiting_payment") or order["payment_status"] == "requires_action":
            return {"error": f"stopped at {order['status']} / {order['payment_status']}"}
    return {"error": "not settled in 30 s"}


def paid_latency(order: dict) -> float | None:
    """Accepted → paid, from the order's own timeline ("paid: payment succeeded")."""
    created = datetime.fromisoformat(order["created_at"])
    for entry in order.get("timeline", []):
        if entry["event"].split(":")[0] == "paid":
            return (datetime.fromisoformat(entry["at"]) - created).total_seconds()
    return None


def run_level(concurrency: int, tokens: list[str], skus: list[str]) -> dict:
    results, errors = [], []
    cpu_before = cpu_seconds()
    stop = time.monotonic() + SECONDS
    lock = threading.Lock()

    def worker(i: int):
        client = Client(tokens[i])
        n = 0
        while time.monotonic() < stop:
            order = checkout_once(client, skus[(i * 7 + n) % len(skus)])
            n += 1
            with lock:
                if order and "error" not in order and order["status"] == "paid":
                    results.append(order)
                else:
                    errors.append(order)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    lat = sorted(x for x in (paid_latency(o) for o in results) if x is not None)
    seen = sorted(o["seen_after_s"] for o in results)

    def pct(p, values=lat):
        return round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 1) if values else None

    cpu_after = cpu_seconds()
    per = max(len(results), 1)
    cpu = {k: round((cpu_after[k] - cpu_before[k]) * 1000 / per, 1) for k in cpu_after}
    return {
        "concurrency": concurrency,
        "cpu_ms_per_checkout": cpu,
        # The whole machine's CPU per checkout, the benchmark client's own left out.
        "cpu_ms_per_checkout_total": round(sum(v for k, v in cpu.items() if k != "bench client"), 1),
        "worker_rss_mb": worker_rss_mb(),
        "completed": len(results),
        "failed": len(errors),
        "checkouts_per_s": round(len(results) / elapsed, 1),
        "paid_p50_ms": pct(0.50),
        "paid_p95_ms": pct(0.95),
        "paid_p99_ms": pct(0.99),
        "paid_mean_ms": round(statistics.mean(lat) * 1000, 1) if lat else None,
        # What the client saw: checkout answered → it holds the paid order (wake-up or poll delay included).
        "client": CLIENT_MODE,
        "client_paid_p50_ms": pct(0.50, seen),
        "client_paid_p99_ms": pct(0.99, seen),
        "sample_errors": [str(e)[:200] for e in errors[:3]],
    }


COSTS = """
from flowmart.events.models import Delivery, OutboxEvent
stories = OutboxEvent.objects.filter(name="OrderConfirmed").values("correlation_id")
reserved = dict(OutboxEvent.objects.filter(name="InventoryAdjusted", payload__reason="reserved")
                .values_list("payload__order_id", "occurred_at"))
processed = OutboxEvent.objects.filter(name="PaymentProcessed").values_list("payload__order_id", "occurred_at")
sla = sorted((at - reserved[o]).total_seconds() * 1000 for o, at in processed if o in reserved)
pct = lambda p: round(sla[min(len(sla) - 1, int(p * len(sla)))], 1) if sla else None
print(stories.count(), OutboxEvent.objects.filter(correlation_id__in=stories).count(),
      Delivery.objects.filter(event__correlation_id__in=stories).count(), pct(0.5), pct(0.99), pct(1.0))
"""


def per_checkout_costs(transactions_before: int) -> dict:
    """Events, deliveries (one Celery task carries a batch of them) and database transactions per order."""
    orders, events, deliveries, sla_p50, sla_p99, sla_max = shell(COSTS).split()
    orders, events, deliveries = int(orders), int(events), int(deliveries)
    transactions = (
        int(psql(f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{DB_NAME}'"))
        - transactions_before
    )
    per = max(orders, 1)
    return {
        "orders": orders,
        "events_per_checkout": round(events / per, 2),
        "deliveries_per_checkout": round(deliveries / per, 2),
        # Issue 5's SLA (< 3 s): stock reserved → PaymentProcessed, from the outbox's own timestamps.
        "reserved_to_payment_processed_ms": {"p50": float(sla_p50), "p99": float(sla_p99), "max": float(sla_max)},
        "db_transactions_per_checkout": round(transactions / per, 1),
    }


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far: by gunicorn, Celery, Redis and this client (from /proc/<pid>/stat),
    and by PostgreSQL and everything else (the machine's busy time from /proc/stat minus those;
    PostgreSQL backends come and go with connections, so they cannot be summed per process)."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals = {"gunicorn": 0.0, "celery": 0.0, "redis": 0.0, "bench client": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            args = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        used = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        if stat.parent.name == str(os.getpid()):
            totals["bench client"] += used
        else:
            name = next((n for n in ("gunicorn", "celery", "redis") if n in args), None)
            if name:
                totals[name] += used
    cpu = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    busy = (sum(cpu) - cpu[3] - cpu[4]) / ticks  # all but idle and iowait
    totals["postgres and other"] = busy - sum(totals.values())
    return totals


def worker_rss_mb() -> dict[str, float]:
    """Resident memory of the Celery worker's processes (the main one and its pool children)."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            args = (status.parent / "cmdline").read_bytes()
            if b"celery" not in args or b"worker" not in args:
                continue
            rss = next(line for line in status.read_text().splitlines() if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
        sizes.append(int(rss.split()[1]) / 1024)
    return {"largest": round(max(sizes), 1) if sizes else 0.0, "processes": len(sizes)}


def start_servers():
    gunicorn = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "flowmart.wsgi:application",
            "--config",
            "docker/gunicorn.conf.py",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=ENV,
    )
    worker = subprocess.Popen(
        [
            PY,
            "-m",
            "celery",
            "-A",
            "flowmart",
            "worker",
            "--concurrency=2",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=ENV,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(BASE + "/health/live/", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    time.sleep(3)  # let the worker connect
    return [gunicorn, worker]


def register(n: int) -> list[str]:
    tokens = []
    for i in range(n):
        status, body = Client().call(
            "POST",
            "/api/v1/auth/register/",
            {"email": f"bench{i}-{uuid.uuid4().hex[:6]}@example.com", "password": "Bench-pass-123"},
        )
        assert status == 201, (status, body)
        tokens.append(body["token"])
    return tokens


NOTIFICATION_LATENCY = """
from flowmart.events.models import OutboxEvent
from flowmart.notifications.models import Message
receipts = Message.objects.filter(message_type="order_confirmation", status="sent")
sent = list(receipts.values_list("source_key", "sent_at"))
occurred = dict(OutboxEvent.objects.filter(event_id__in=[k for k, _ in sent]).values_list("event_id", "occurred_at"))
lat = sorted((at - occurred[__import__("uuid").UUID(k)]).total_seconds() * 1000 for k, at in sent)
times = sorted(at for _, at in sent)
span = (times[-1] - times[0]).total_seconds() if len(times) > 1 else 0
pct = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 1)
other = Message.objects.exclude(status="sent").values_list("status", flat=True)
print(len(lat), pct(0.5), pct(0.95), pct(0.99), pct(1.0), round(len(lat) / span, 1) if span else 0, len(other))
"""

DRAIN = """
import time
from django.db import transaction
from flowmart.notifications.models import Message
from flowmart.notifications.services.sending import enqueue
model = Message.objects.filter(message_type="order_confirmation", status="sent").first()
fields = {f.attname: getattr(model, f.attname) for f in Message._meta.fields if f.name not in ("id",)}
fields.update(status="pending", attempts=0, sent_at=None, claimed_at=None, provider_message_id="", subject="")
with transaction.atomic():
    rows = Message.objects.bulk_create(
        [Message(**{**fields, "source_key": f"bench-drain-{i}", "recipient_key": f"bench:{i}"}) for i in range({n})]
    )
ids = [r.pk for r in rows]
started = time.time()
enqueue(ids)
while Message.objects.filter(pk__in=ids, status__in=["pending", "sending"]).exists() and time.time() - started < 300:
    time.sleep(0.2)
done = Message.objects.filter(pk__in=ids, status="sent").count()
print(done, round(done / (time.time() - started), 1))
"""


def start_smtp():
    """A real SMTP server on loopback that counts what it accepts (aiosmtpd, a dev dependency)."""
    from aiosmtpd.controller import Controller

    class Counter:
        received = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
            Counter.received += 1
            return "250 OK"

    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ENV["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    return controller, Counter


def notification_figures(smtp_counter) -> dict:
    count, p50, p95, p99, worst, rate, not_sent = shell(NOTIFICATION_LATENCY).split()
    drained, drain_rate = shell(DRAIN.replace("{n}", os.environ.get("BENCH_DRAIN_MESSAGES", "1000"))).split()
    return {
        "receipts_sent": int(count),
        "messages_not_sent": int(not_sent),
        "event_to_sent_ms": {"p50": float(p50), "p95": float(p95), "p99": float(p99), "max": float(worst)},
        "sent_per_s_under_checkout_load": float(rate),
        "backlog_drain": {"messages": int(drained), "sent_per_s": float(drain_rate)},
        "smtp_server_received": smtp_counter.received,
    }


def main():
    load_at_start = os.getloadavg()
    smtp, smtp_counter = start_smtp()
    skus, staff_token = prepare_database()
    procs = start_servers()
    try:
        staff = Client(staff_token)
        for sku in skus:
            status, body = staff.call(
                "POST",
                "/api/v1/inventory/receipts/",
                {"sku": sku, "warehouse": "US-EAST", "quantity": 100000, "reason": "bench"},
            )
            assert status in (200, 201), (status, body)
        time.sleep(2)  # availability projections catch up
        tokens = register(max(LEVELS))
        before = int(psql(f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{DB_NAME}'"))
        report = {"load_average_at_start": [round(x, 2) for x in load_at_start]}
        report["levels"] = [run_level(c, tokens, skus) for c in LEVELS]
        report["costs"] = per_checkout_costs(before)
        time.sleep(3)  # the last receipts leave
        report["notifications"] = notification_figures(smtp_counter)
        print(json.dumps(report, indent=2))
        return report
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)
        smtp.stop()


if __name__ == "__main__":
    main()
