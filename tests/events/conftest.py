"""Fixtures for the dispatcher tests: the flaky probe subscriber's switch, a broker
that is down, and a way to wait until the real worker has run every message sent."""

import time
from contextlib import contextmanager

import pytest
import redis
from django.conf import settings

from flowmart.celery import app
from tests.probe.models import ProbeSwitch

DEAD_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


@pytest.fixture
def broken_flaky(transactional_db):
    """The probe's `flaky` subscriber raises until the test calls .fix()."""

    class Switch:
        def __init__(self):
            self.row = ProbeSwitch.objects.create(broken=True)

        def fix(self):
            ProbeSwitch.objects.filter(pk=self.row.pk).update(broken=False)

    return Switch()


def _reset_broker_pools():
    """Celery caches its broker connections; drop them so a new broker_url takes effect."""
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str):
    """Point this process's Celery app (publishing, health check) at another broker."""
    previous = app.conf.broker_url
    app.conf.broker_url = url
    _reset_broker_pools()
    try:
        yield
    finally:
        app.conf.broker_url = previous
        _reset_broker_pools()


@pytest.fixture
def dead_broker():
    """Use as `with dead_broker(): ...` — the broker is unreachable inside the block."""
    return lambda: broker_at(DEAD_BROKER_URL)


def wait_until_broker_drained(timeout: float = 20) -> None:
    """Block until the real worker has finished every message sent so far.

    Tasks are acknowledged late (after they ran), and the Redis transport keeps a
    message in its `unacked` hash until then: an empty queue and an empty hash mean
    every task has run to the end."""
    broker = redis.Redis.from_url(settings.REDIS_URL)
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 3:  # three empty looks in a row: nothing in flight between queue and hash
        assert time.monotonic() < deadline, f"the worker did not drain the broker within {timeout}s"
        idle = broker.llen("celery") == 0 and broker.hlen("unacked") == 0
        quiet = quiet + 1 if idle else 0
        time.sleep(0.1)
