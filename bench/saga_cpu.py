"""CPU per checkout, counted in one process: the saga without the web server's and Celery's own work.

The whole saga of a checkout (open cart → add item → checkout → the paid order read back) runs
through Django's test client and the full middleware stack with eager Celery, on PostgreSQL and
Redis, one connection. Reported per checkout: the Python process's CPU, the PostgreSQL backend's
CPU (read from /proc for the connection's backend pid, so PostgreSQL must run on this machine),
and SQL statements. The statement count is exact; CPU time still moves with the machine (on the
project's VM two runs of one commit, minutes apart, differed by 45 %: bench/README.md), so compare
commits in alternating runs. The receipt e-mail goes to Django's in-memory backend, so SMTP is
left out.

    python -m bench saga_cpu            # BENCH_CHECKOUTS=200 measured after 30 warm-up ones
    BENCH_PROFILE=1 python -m bench saga_cpu        # and a cProfile of the measured checkouts
    BENCH_PROFILE=worker python -m bench saga_cpu   # ... of their Celery tasks only

Also reported: the worker's share, the Python CPU and statements inside the outermost Celery task
(eager: a delivery's follow-ups run from its commits, inside it, and the receipt's sending too),
the web requests left out.

The profile counts process CPU time (waits on PostgreSQL left out) and prints the top
BENCH_PROFILE_TOP (40) functions by tottime and by cumtime; BENCH_PROFILE_OUT=<file> keeps it for
pstats. Its call counts are exact and are what to compare between commits: its times are inflated
by the profiler's own cost per call, most where calls are many and short (template rendering), so
check a lead with a plain timing of the code in question before acting on it.
"""

import json
import os
import subprocess
import sys

os.environ.setdefault("BENCH_DB_NAME", "flowmart_bench_saga_cpu")
os.environ.setdefault("BENCH_REDIS_DB", "11")

from bench.checkout import ENV, PY, ROOT, prepare_database

CHECKOUTS = int(os.environ.get("BENCH_CHECKOUTS", "200"))
WARM_UP = 30
PROFILE = os.environ.get("BENCH_PROFILE", "")
PROFILE = "" if PROFILE == "0" else PROFILE
PROFILE_TOP = int(os.environ.get("BENCH_PROFILE_TOP", "40"))

MEASURE = """
import json, os, time, uuid
from django.db import connection
from django.test import Client

skus, token = json.loads(os.environ["BENCH_SKUS"]), os.environ["BENCH_TOKEN"]
client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
body = {"shipping_address": {"name": "Bench Buyer", "line1": "1 Main St", "line2": "", "city": "Newark",
        "postal_code": "07102", "country": "US", "phone": "+15555550100"},
        "shipping_method": "standard", "payment": {"provider": "dummy", "payment_method": "pm_card_visa"}}
statements, worker = [0, 0], {"depth": 0, "cpu": 0.0, "started": 0.0}

def count(execute, sql, params, many, context):
    statements[0] += 1
    statements[1] += worker["depth"] > 0
    return execute(sql, params, many, context)

# The worker's share: CPU inside the outermost Celery task (eager, so a deliver task's follow-ups,
# run from its commits, nest inside it): the deliveries and the receipt, not the web requests.
from celery.signals import task_postrun, task_prerun

@task_prerun.connect(weak=False)
def task_started(**kwargs):
    worker["depth"] += 1
    if worker["depth"] == 1:
        worker["started"] = time.process_time()
        if profiler and PROFILE == "worker":
            profiler.enable()

@task_postrun.connect(weak=False)
def task_finished(**kwargs):
    worker["depth"] -= 1
    if worker["depth"] == 0:
        if profiler and PROFILE == "worker":
            profiler.disable()
        worker["cpu"] += time.process_time() - worker["started"]

def one(sku):
    cart = client.post("/api/v1/carts/", {}, content_type="application/json").json()
    assert "id" in cart, cart
    client.post(f"/api/v1/carts/{cart['id']}/items/", {"sku": sku, "quantity": 1}, content_type="application/json")
    placed = client.post("/api/v1/checkout/", {**body, "cart_id": cart["id"]}, content_type="application/json",
                         headers={"Idempotency-Key": uuid.uuid4().hex}).json()
    order = client.get(f"/api/v1/orders/{placed['order_id']}/?wait=paid&timeout=10").json()
    assert order["status"] == "paid", order

def backend_cpu():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

profiler = None
for i in range(WARM_UP):
    one(skus[i % len(skus)])
if PROFILE:
    import cProfile
    profiler = cProfile.Profile(time.process_time)  # CPU, not wall time: waits on PostgreSQL left out
worker["cpu"], statements[:] = 0.0, [0, 0]
pg_before, cpu_before = backend_cpu(), time.process_time()
with connection.execute_wrapper(count):
    if profiler and PROFILE != "worker":
        profiler.enable()
    for i in range(CHECKOUTS):
        one(skus[i % len(skus)])
    if profiler and PROFILE != "worker":
        profiler.disable()
cpu, pg = time.process_time() - cpu_before, backend_cpu() - pg_before
n = CHECKOUTS
if profiler:
    import pstats
    stats = pstats.Stats(profiler)
    if os.environ.get("BENCH_PROFILE_OUT"):
        stats.dump_stats(os.environ["BENCH_PROFILE_OUT"])
    print(f"cProfile over {n} checkouts: {stats.total_calls} calls ({stats.total_calls / n:.0f} per checkout)")
    for key in ("tottime", "cumtime"):
        print(f"--- top {PROFILE_TOP} by {key}")
        stats.sort_stats(key).print_stats(PROFILE_TOP)
print(json.dumps({"checkouts": n, "python_ms": round(cpu / n * 1000, 1), "postgres_ms": round(pg / n * 1000, 1),
                  "total_ms": round((cpu + pg) / n * 1000, 1), "statements": round(statements[0] / n, 1),
                  "worker_python_ms": round(worker["cpu"] / n * 1000, 1),
                  "worker_statements": round(statements[1] / n, 1)}))
"""


def main() -> int:
    skus, token = prepare_database()
    env = {
        **ENV,
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "BENCH_SKUS": json.dumps(skus),
        "BENCH_TOKEN": token,
    }
    code = f"WARM_UP, CHECKOUTS, PROFILE, PROFILE_TOP = {WARM_UP}, {CHECKOUTS}, {PROFILE!r}, {PROFILE_TOP}\n" + MEASURE
    out = subprocess.run([PY, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True)
    if out.returncode:
        raise SystemExit(out.stderr.decode()[-3000:])
    *profile, last = out.stdout.decode().strip().splitlines()
    if PROFILE:
        print("\n".join(profile))
    print(json.dumps(json.loads(last)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
