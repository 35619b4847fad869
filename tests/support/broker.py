"""The real Redis broker for a test that reads Celery's messages off a queue instead of running them."""

import contextlib

import redis
from django.conf import settings

from flowmart.celery import app


@contextlib.contextmanager
def real_broker(queue: str):
    """Celery not eager for the block, `queue` emptied before and after; yields a Redis client."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(queue)
    app.conf.task_always_eager = False
    try:
        yield client
    finally:
        app.conf.task_always_eager = True
        client.delete(queue)
