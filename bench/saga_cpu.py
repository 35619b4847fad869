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

MEASURE = """
import json, os, time, uuid
from django.db import connection
from django.test import Client

skus, token = json.loads(os.environ["BENCH_SKUS"]), os.environ["BENCH_TOKEN"]
client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
body = {"shipping_address": {"name": "Bench Buyer", "line1": "1 Main St", "line2": "", "city": "Newark",
        "postal_code": "07102", "country": "US", "phone": "+15555550100"},
        "shipping_method": "standard", "payment": {"provider": "dummy", "payment_method": "pm_card_visa"}}
statements = [0]

def count(execute, sql, params, many, context):
    statements[0] += 1
    return execute(sql, params, many, context)

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

for i in range(WARM_UP):
    one(skus[i % len(skus)])
pg_before, cpu_before = backend_cpu(), time.process_time()
with connection.execute_wrapper(count):
    for i in range(CHECKOUTS):
        one(skus[i % len(skus)])
cpu, pg = time.process_time() - cpu_before, backend_cpu() - pg_before
n = CHECKOUTS
print(json.dumps({"checkouts": n, "python_ms": round(cpu / n * 1000, 1), "postgres_ms": round(pg / n * 1000, 1),
                  "total_ms": round((cpu + pg) / n * 1000, 1), "statements": round(statements[0] / n, 1)}))
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
    code = f"WARM_UP, CHECKOUTS = {WARM_UP}, {CHECKOUTS}\n" + MEASURE
    out = subprocess.run([PY, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True)
    if out.returncode:
        raise SystemExit(out.stderr.decode()[-3000:])
    result = json.loads(out.stdout.decode().strip().splitlines()[-1])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
