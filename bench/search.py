"""Auto-suggest and search benchmark on 10,000 products, through gunicorn.

Sets up its own PostgreSQL database (flowmart_bench_search: dropped, created, migrated),
writes BENCH_PRODUCTS (default 10,000) products with 1-3 variants each in bulk (names from
20 adjectives x 30 nouns x 10 editions x 3 series; every SKU distinct), gives them a long-tailed
popularity (as if counted from OrderConfirmed), then runs `manage.py rebuild_search_index`
(search vectors and auto-suggest rows, as the services keep them). gunicorn then serves it
with 2 workers on a free port in the production shape (DEBUG=0, Redis cache).

Measured, each for BENCH_SECONDS (default 20) after a short warm-up:
1. GET /api/v1/search/suggest/?q= with every request a cache miss (a unique ignored parameter),
   from prefixes of 2-8 letters of name words, two-word prefixes and SKU prefixes: 1 client
   (the latency a typing shopper sees) and BENCH_CLIENTS (default 4) clients.
2. the same as served: 200 hot prefixes repeat, so most answers come from the page cache.
3. for context, GET /api/v1/products/?search= (with facets) misses: words, typos, SKUs, 1 client.

    python -m bench search        # or: python -m bench.search
Target (issue 12): suggest p99 < 20 ms on 10,000 products.
"""

import itertools
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "flowmart_bench_search"
REDIS_DB = os.environ.get("BENCH_SEARCH_REDIS_DB", "3")
HOST = "127.0.0.1"
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
WARMUP_SECONDS = 3.0
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
PRODUCTS = int(os.environ.get("BENCH_PRODUCTS", "10000"))
TARGET_P99_MS = 20.0

ENV = {
    **os.environ,
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    "CELERY_TASK_ALWAYS_EAGER": "1",
    "DEBUG": "0",
    "ALLOWED_HOSTS": HOST,
    "SECURE_SSL_REDIRECT": "0",
    "SECRET_KEY": "bench-" + "s" * 60,
    "LOG_LEVEL": "ERROR",
    "LOG_FORMAT": "plain",
    "DJANGO_SETTINGS_MODULE": "flowmart.settings",
}

ADJECTIVES = [
    "Trail",
    "Studio",
    "Urban",
    "Alpine",
    "Compact",
    "Wireless",
    "Ceramic",
    "Cast-iron",
    "Merino",
    "Waterproof",
    "Ultralight",
    "Bamboo",
    "Copper",
    "Vintage",
    "Smart",
    "Portable",
    "Insulated",
    "Organic",
    "Modular",
    "Nordic",
]
NOUNS = [
    "Jacket",
    "Headphones",
    "Speaker",
    "Kettle",
    "Knife",
    "Mug",
    "Stove",
    "Tent",
    "Backpack",
    "Lamp",
    "Grinder",
    "Tee",
    "Boots",
    "Blender",
    "Pan",
    "Chair",
    "Bottle",
    "Watch",
    "Keyboard",
    "Monitor",
    "Lantern",
    "Teapot",
    "Earbuds",
    "Turntable",
    "Skillet",
    "Thermos",
    "Hoodie",
    "Gloves",
    "Scarf",
    "Rug",
]
EDITIONS = ["Classic", "Pro", "Lite", "Eco", "Max", "Mini", "Plus", "Go", "Air", "One"]
TYPOS = ["hedphones", "keetle", "jaket", "speeker", "backpak", "lanturn", "blendr", "termos"]

# Runs inside `manage.py shell` with BENCH_PRODUCTS in the environment.
LOAD_SCRIPT = """
import os, random
from decimal import Decimal
from django.core.management import call_command
from django.db import connection, transaction
from bench.search import ADJECTIVES, NOUNS, EDITIONS
from flowmart.catalog.models import Category, Product, ProductPopularity, Seller, Variant

rng = random.Random(12)
count = int(os.environ["BENCH_PRODUCTS"])
with transaction.atomic():
    sellers = Seller.objects.bulk_create([Seller(slug=f"seller-{n}", name=f"Seller {n}") for n in range(20)])
    categories = Category.objects.bulk_create([Category(slug=n.lower(), name=n) for n in NOUNS])
    combos = [(a, n, e, s) for a in ADJECTIVES for n in NOUNS for e in EDITIONS for s in (1, 2, 3)]
    rng.shuffle(combos)
    products = Product.objects.bulk_create([
        Product(seller=sellers[i % 20], category=categories[NOUNS.index(n)], name=f"{a} {n} {e} {s}",
                slug=f"{a}-{n}-{e}-{s}".lower(), description=f"The {e.lower()} {n.lower()} of our {a.lower()} range.")
        for i, (a, n, e, s) in enumerate(combos[:count])
    ], batch_size=2000)
    Variant.objects.bulk_create([
        Variant(product=p, sku=f"{p.name.split()[1][:4].upper()}-{p.pk:05d}-{v}", name=f"Option {v}",
                price_amount=Decimal(rng.randint(500, 60000)) / 100, price_currency="USD")
        for p in products for v in range(rng.randint(1, 3))
    ], batch_size=2000)
    ranked = list(products)
    rng.shuffle(ranked)
    ProductPopularity.objects.bulk_create([
        ProductPopularity(product=p, orders=5000 // (r + 1), units=7000 // (r + 1))
        for r, p in enumerate(ranked) if 5000 // (r + 1)
    ], batch_size=2000)
call_command("rebuild_search_index")
with connection.cursor() as cursor:
    cursor.execute("VACUUM ANALYZE")
print(f"  {Product.objects.count()} products, {Variant.objects.count()} variants")
"""


def manage(*args: str, stdin: str | None = None) -> None:
    env = {**ENV, "BENCH_PRODUCTS": str(PRODUCTS)}
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, input=stdin, text=True)


def prepare_database() -> None:
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {DB_NAME}"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {DB_NAME}"], check=True)
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, capture_output=True)
    manage("migrate", "--noinput", "-v", "0")
    manage("shell", "-v", "0", stdin=LOAD_SCRIPT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [gunicorn, "flowmart.wsgi:application", "--workers", "2", "--bind", f"{HOST}:{port}"]
    server = subprocess.Popen([*command, "--log-level", "warning"], cwd=ROOT, env=ENV)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, body = get(port, "/api/v1/search/suggest/?q=st")
            if status == 200:
                print(f"gunicorn up on port {port}; 'st' suggests {len(json.loads(body)['suggestions'])}", flush=True)
                return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 30 s")


def get(port: int, path: str) -> tuple[int, bytes]:
    """One GET on a fresh connection, read to EOF (raw sockets: the client shares the CPUs)."""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(request.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    status_line, _, rest = b"".join(chunks).partition(b"\r\n")
    parts = status_line.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), rest.partition(b"\r\n\r\n")[2]


def suggest_prefixes(rng: random.Random) -> list[str]:
    """What shoppers type, keystroke by keystroke: word starts, two-word starts, SKU starts."""
    words = [w.lower() for w in ADJECTIVES + NOUNS + EDITIONS]
    typed = [word[:n] for word in words for n in range(2, min(len(word), 8) + 1)]
    typed += [f"{a.lower()} {n.lower()[:k]}" for a in ADJECTIVES for n in NOUNS for k in (1, 3)]
    typed += [f"{n[:4].lower()}-{k:0{d}d}" for n in NOUNS for d in (1, 2) for k in range(0, 10**d, 7)]
    rng.shuffle(typed)
    return typed


def search_terms(rng: random.Random) -> list[str]:
    terms = [n.lower() for n in NOUNS] + TYPOS + [f"{a} {n}".lower() for a, n in zip(ADJECTIVES, NOUNS, strict=False)]
    terms += [f"{n[:4].upper()}-{k:05d}" for n, k in zip(NOUNS, range(1, 10_000, 333), strict=False)]
    rng.shuffle(terms)
    return terms


def drive(port: int, paths: list[str], clients: int, seconds: float, cold: bool) -> tuple[list[float], int, float]:
    """`clients` threads cycle through `paths` for `seconds`; `cold` makes every URL unique."""
    unique, shared = itertools.count(), itertools.cycle(paths)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        mine, failed = [], 0
        while time.monotonic() < stop_at:
            with lock:
                path = next(shared)
                if cold:
                    path += f"&nocache={next(unique)}"
            started = time.perf_counter()
            try:
                status, _ = get(port, path)
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

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.monotonic() - began


def server_pids(server: subprocess.Popen) -> list[int]:
    """gunicorn's workers and the PostgreSQL backends serving them (persistent connections)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    query = f"SELECT pid FROM pg_stat_activity WHERE datname = '{DB_NAME}' AND pid <> pg_backend_pid()"
    backends = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB_NAME, "-tAc", query],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [int(pid) for pid in children + backends]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used (from /proc; gone processes count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def measured(server, port, paths, clients, seconds, cold) -> tuple[list[float], int, float, float]:
    """drive(), plus the CPU the server side spent per request (ms): a cost that the other load
    on the machine does not inflate the way it inflates latencies."""
    pids = server_pids(server)
    before = cpu_seconds(pids)
    latencies, errors, elapsed = drive(port, paths, clients, seconds, cold)
    cpu_ms = (cpu_seconds(pids) - before) * 1000 / max(1, len(latencies) + errors)
    return latencies, errors, elapsed, cpu_ms


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(title: str, latencies: list[float], errors: int, elapsed: float, cpu_ms: float, target: bool) -> bool:
    ordered = sorted(latencies)
    p50, p95, p99 = (percentile(ordered, f) * 1000 for f in (0.50, 0.95, 0.99))
    print(f"{title} ({elapsed:.1f} s)")
    print(f"  requests: {len(ordered)} ok, {errors} failed; {len(ordered) / elapsed:.0f} requests/s")
    print(f"  server CPU per request: {cpu_ms:.1f} ms (gunicorn workers and their PostgreSQL backends)")
    print(f"  latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {ordered[-1] * 1000:.1f} ms")
    ok = p99 < TARGET_P99_MS and errors == 0
    if target:
        print(f"  target p99 < {TARGET_P99_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    print(f"preparing {DB_NAME} ({PRODUCTS} products, popularity, search index)…", flush=True)
    prepare_database()
    port = free_port()
    server = start_gunicorn(port)
    rng = random.Random(3)
    suggest = [f"/api/v1/search/suggest/?{urlencode({'q': q})}" for q in suggest_prefixes(rng)]
    searches = [f"/api/v1/products/?{urlencode({'search': t})}" for t in search_terms(rng)]
    try:
        print(f"load average before measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        drive(port, suggest, CLIENTS, WARMUP_SECONDS, cold=True)
        title = "suggest, every request a cache miss, 1 client"
        ok = report(title, *measured(server, port, suggest, 1, SECONDS, cold=True), target=True)
        title = f"suggest, every request a cache miss, {CLIENTS} clients"
        ok &= report(title, *measured(server, port, suggest, CLIENTS, SECONDS, cold=True), target=True)
        title = f"suggest as served (200 hot prefixes repeat: page cache), {CLIENTS} clients"
        report(title, *measured(server, port, suggest[:200], CLIENTS, SECONDS, cold=False), target=False)
        title = "product search with facets, every request a cache miss, 1 client (informational)"
        report(title, *measured(server, port, searches, 1, SECONDS, cold=True), target=False)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
