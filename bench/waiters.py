"""How many clients waiting on `GET /orders/{id}/?wait=paid` one web process holds, and what they cost.

For each level N (BENCH_WAITERS, default "24,200,500") one gunicorn worker process is started as
docker/gunicorn.conf.py runs it, with enough threads for N waiters (WAIT_MAX_WAITERS = N, threads
= N * 4 / 3, the production ratio). N clients (threads of this script) each wait on their own
unpaid order; once all are subscribed the script reads the worker's RSS, threads and CPU and the
PostgreSQL backends of the database, then pays every order (one transaction each, through the
orders service, as the payments handler would) and checks that every client is answered `paid`.
Reported per level: RSS before and while waiting (and per waiter), CPU used while N clients
waited idle, backends held, and payment commit → client answer latency.

    BENCH_WAITERS=24,200 python -m bench waiters
"""

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("BENCH_PORT", "8111"))
BASE = f"http://127.0.0.1:{PORT}"
DB_NAME = os.environ.get("BENCH_DB_NAME", "flowmart_bench_waiters")
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "9")
LEVELS = [int(x) for x in os.environ.get("BENCH_WAITERS", "24,200,500").split(",")]
IDLE_SECONDS = 3.0  # how long the N clients wait idle while CPU is measured
ARRIVING = 8  # clients that start waiting at once
ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    # Subscribers of the payments made here are queued, not run in this process: the commit time is the commit's.
    "CELERY_TASK_ALWAYS_EAGER": "0",
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECRET_KEY": "bench-" + "k" * 60,
    "THROTTLE_USER_RATE": "1000000/min",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "flowmart.settings",
    "WEB_CONCURRENCY": "1",
    "GUNICORN_BIND": f"127.0.0.1:{PORT}",
    "GUNICORN_ACCESS_LOG": "",
}
PY = sys.executable


def psql(sql: str, db: str = "postgres") -> str:
    cmd = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAqc", sql]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def prepare_database() -> None:
    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, capture_output=True)
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=ENV, check=True)


def orders_and_token(n: int) -> tuple[list[int], str]:
    """N unpaid orders of one customer (rows only: the wait reads the order, nothing else)."""
    from flowmart.customers.models import ApiToken, User
    from flowmart.orders.models import Order

    user = User.objects.create_user(email=f"waiter-{time.time_ns()}@example.com", password="x")
    address = {"name": "W", "line1": "1 Main St", "city": "Newark", "postal_code": "07102", "country": "US"}
    orders = Order.objects.bulk_create(
        Order(
            customer_id=user.pk,
            customer_email=user.email,
            currency="USD",
            subtotal=10,
            shipping=0,
            tax=0,
            total=10,
            shipping_address=address,
            shipping_method="standard",
            payment_provider="dummy",
        )
        for _ in range(n)
    )
    return [o.pk for o in orders], ApiToken.issue(user)[1]


def start_gunicorn(threads: int, waiters: int) -> subprocess.Popen:
    env = {**ENV, "GUNICORN_THREADS": str(threads), "WAIT_MAX_WAITERS": str(waiters)}
    cmd = [str(Path(PY).parent / "gunicorn"), "flowmart.wsgi:application", "--config", "docker/gunicorn.conf.py"]
    server = subprocess.Popen([*cmd, "--log-level", "warning"], cwd=ROOT, env=env)
    for _ in range(150):
        try:
            urllib.request.urlopen(BASE + "/health/live/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def worker_pid(server: subprocess.Popen) -> int:
    """gunicorn's one worker: the arbiter's child."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                return int(stat.parent.name)
        except (OSError, ValueError):
            continue
    raise SystemExit("no gunicorn worker found")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def subscribed() -> int:
    import redis

    client = redis.Redis.from_url(ENV["REDIS_URL"])
    return sum(1 for _ in client.pubsub_channels(f"db{REDIS_DB}:orders:*"))


def wait_on(order_id: int, token: str, answers: dict) -> None:
    """Wait as a client does: ask again after a timeout (the first of 500 may wait longer than 30 s)."""
    request = urllib.request.Request(
        f"{BASE}/api/v1/orders/{order_id}/?wait=paid&timeout=30", headers={"Authorization": f"Bearer {token}"}
    )
    answers[order_id] = (time.time(), "not answered")
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answers[order_id] = (time.time(), json.loads(response.read())["status"])
        except OSError as exc:
            answers[order_id] = (time.time(), f"error {exc}")
            return
        if answers[order_id][1] != "pending":
            return


def run_level(n: int) -> dict:
    from flowmart.common.money import Money
    from flowmart.orders.services import lifecycle

    ids, token = orders_and_token(n)
    server = start_gunicorn(threads=math.ceil(n * 4 / 3), waiters=n)
    try:
        pid = worker_pid(server)
        idle_rss = rss_mb(pid)
        answers: dict = {}
        clients = [threading.Thread(target=wait_on, args=(i, token, answers), daemon=True) for i in ids]
        started_in = time.monotonic()
        for at in range(0, n, ARRIVING):
            # A few at a time: each arriving request holds a database connection until it sleeps,
            # and the shared PostgreSQL allows 100 in all.
            for client in clients[at : at + ARRIVING]:
                client.start()
            deadline = time.monotonic() + 10
            while subscribed() < min(at + ARRIVING, n) and time.monotonic() < deadline:
                time.sleep(0.005)
        started_in = time.monotonic() - started_in
        holding = subscribed()
        cpu_before = cpu_s(pid)
        time.sleep(IDLE_SECONDS)
        idle_cpu_ms = (cpu_s(pid) - cpu_before) * 1000
        waiting_rss = rss_mb(pid)
        threads = len(list(Path(f"/proc/{pid}/task").iterdir()))
        backends = int(psql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DB_NAME}'"))
        committed = {}
        for order_id in ids:
            lifecycle.payment_processed(order_id, order_id, True, Money(Decimal("10"), "USD"), None)
            committed[order_id] = time.time()
        for client in clients:
            client.join(60)
        lat = sorted((answers[i][0] - committed[i]) * 1000 for i in ids if answers.get(i, (0, ""))[1] == "paid")
        return {
            "waiters": n,
            "gunicorn_threads": math.ceil(n * 4 / 3),
            "subscribed_at_once": holding,
            "all_subscribed_in_s": round(started_in, 2),
            "answered_paid": len(lat),
            "worker_rss_mb": {"idle": round(idle_rss, 1), "waiting": round(waiting_rss, 1)},
            "rss_kb_per_waiter": round((waiting_rss - idle_rss) * 1024 / n, 1),
            "worker_threads": threads,
            "worker_cpu_ms_per_s_while_waiting": round(idle_cpu_ms / IDLE_SECONDS, 1),
            "postgres_backends_while_waiting": backends - 1,  # less this script's own
            "commit_to_answer_ms": {
                "p50": round(lat[len(lat) // 2], 1) if lat else None,
                "p99": round(lat[min(len(lat) - 1, int(0.99 * len(lat)))], 1) if lat else None,
            },
            "payments_committed_in_s": round(max(committed.values()) - min(committed.values()), 2),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    # Stopped from outside (timeout, Ctrl-C): still stop the gunicorn it started (run_level's finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    load_at_start = os.getloadavg()
    prepare_database()
    os.environ.update(ENV)
    import django

    django.setup()
    report = {"load_average_at_start": [round(x, 2) for x in load_at_start], "levels": []}
    for n in LEVELS:
        report["levels"].append(run_level(n))
        from django.db import connection

        connection.close()
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
