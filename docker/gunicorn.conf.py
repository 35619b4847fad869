"""gunicorn settings, from the environment.

bind: GUNICORN_BIND (one address or a comma-separated list, e.g. "0.0.0.0:8000" or
"unix:/run/flowmart.sock"), else loopback on PORT (default 8000): safe on a bare-metal host,
where a reverse proxy on the same machine forwards to it. The container sets
GUNICORN_BIND=0.0.0.0:8000 (docker/Dockerfile, docker/compose.yaml)."""

import os

bind = [
    address.strip()
    for address in (os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}").split(",")
    if address.strip()
]
# One PostgreSQL connection pool per process, shared by its threads (flowmart/settings.py, DB_POOL): a
# thread that waits for an order's status holds no connection, and takes a pooled one back after.
os.environ.setdefault("DB_POOL", "1")

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads, not sync workers: a client waiting on GET /api/v1/orders/{id}/?wait=paid sleeps in one thread
# (on Redis, holding no database connection) while the others serve. settings.WAIT_MAX_WAITERS keeps a
# quarter of them for ordinary requests. Each thread may keep one PostgreSQL connection open
# (DB_CONN_MAX_AGE): size max_connections for WEB_CONCURRENCY x GUNICORN_THREADS (docs/operations.md).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# TLS ends at the reverse proxy; trust its X-Forwarded-* headers (SECURE_PROXY_SSL_HEADER in settings).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# GUNICORN_ACCESS_LOG="" turns the access log off (bench/checkout.py: a line per request costs CPU there).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# The access log never shows a card number someone put in a URL (flowmart/common/accesslog.py).
logger_class = "flowmart.common.accesslog.RedactingLogger"
worker_tmp_dir = "/dev/shm"  # heartbeat files off the (possibly slow) container filesystem
