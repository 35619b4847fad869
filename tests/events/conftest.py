"""Fixtures for the dispatcher tests: the flaky probe subscriber's switch, a broker
that is down, and a way to wait for one Celery task in the real worker's log."""

import time
from contextlib import contextmanager

import pytest

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


def wait_for_task(worker, task_id: str, timeout: float = 20) -> None:
    """Block until the real worker logs that task `task_id` finished."""
    deadline = time.monotonic() + timeout
    needle = f"[{task_id}] succeeded"
    while needle not in worker.log.read_text():
        assert time.monotonic() < deadline, f"task {task_id} did not finish within {timeout}s"
        time.sleep(0.1)
