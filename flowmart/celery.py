"""The Celery app: delivers outbox events to subscribers and runs beat jobs."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowmart.settings")

app = Celery("flowmart")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def commit_asynchronously(**kwargs):
    """Worker transactions on PostgreSQL don't wait for the WAL flush (synchronous_commit=off).

    Safe because of how delivery works: a subscriber's effects, its inbox row and its
    delivery's "done" mark commit in one transaction. A database crash can lose only the
    last few hundred milliseconds of such transactions, and loses each one whole, so the
    delivery is pending again and the sweep redelivers it; calls to payment providers carry
    idempotency keys, so a redelivered charge is the same charge. PostgreSQL writes WAL in
    order, so nothing that committed later (a web request, with synchronous commit) can
    survive without them. Web processes are untouched: a customer's 201 is durable.
    Runs in the worker's main process before the pool forks, so every child inherits it.
    """
    from django.conf import settings
    from django.db import connections

    default = connections["default"]
    if settings.EVENTS["WORKER_ASYNC_COMMIT"] and default.vendor == "postgresql":
        options = default.settings_dict.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


@signals.beat_init.connect
def hold_the_beat_lock(**kwargs):
    """Only the beat holding the Redis lock schedules; any other waits here as a standby, before
    its scheduler sends anything, and takes over when the holder dies (flowmart/beat_lock.py)."""
    import atexit

    from django.conf import settings

    from flowmart.beat_lock import guard_beat

    beat_lock = guard_beat(settings.REDIS_URL, settings.BEAT_LOCK_TTL_SECONDS)
    if beat_lock is not None:
        atexit.register(beat_lock.release)  # a clean stop hands over at once, not after a TTL


@signals.worker_process_init.connect
def trace_pool_process(**kwargs):
    """Tracing (when configured) in each prefork pool process, where the tasks run: after the
    fork, so the span exporter's thread and connections are the child's own."""
    from flowmart.common import tracing

    tracing.configure("worker")


@signals.worker_ready.connect
def trace_worker(**kwargs):
    """Tracing in the worker's main process too: there the tasks run with `--pool=solo` or
    `threads`, and pool processes forked later (after a crash) start with it."""
    from flowmart.common import tracing

    tracing.configure("worker")
