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
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# TLS ends at the reverse proxy; trust its X-Forwarded-* headers (SECURE_PROXY_SSL_HEADER in settings).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
accesslog = "-"
errorlog = "-"
# The access log never shows a card number someone put in a URL (flowmart/common/accesslog.py).
logger_class = "flowmart.common.accesslog.RedactingLogger"
worker_tmp_dir = "/dev/shm"  # heartbeat files off the (possibly slow) container filesystem
