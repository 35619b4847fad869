"""Workers survive a Redis outage: two real worker processes, busy with slow deliveries, lose a
Redis the test owns for ~10 s and get it back; both are still running afterwards and everything
published before, during and after the outage reaches each subscriber exactly once.

Why this used to kill them (celery 5.7.0 + kombu 5.7.0): flowmart/broker.py."""

import threading
import time
from contextlib import ExitStack

import kombu
import pytest
import redis
from django.db import connection, transaction
from kombu.transport import redis as kombu_redis

from flowmart import broker
from flowmart.celery import app
from flowmart.events import publish, relay
from flowmart.events.models import Delivery, OutboxEvent
from tests.events.conftest import broker_at
from tests.probe.handlers import ProbeHappened
from tests.probe.models import ProbeRecord
from tests.support.redis_server import RedisServer
from tests.support.worker import CeleryWorker, wait_until

SUBSCRIBERS = 3  # ProbeHappened's


@pytest.fixture
def own_redis():
    with RedisServer() as server:
        yield server


class SteadyPublisher(threading.Thread):
    """Publishes a slow probe event every 0.1 s, as a web process under load would: about
    as much work as four worker processes can do, so they are always in the middle of tasks."""

    def __init__(self):
        super().__init__(daemon=True)
        self.halt = threading.Event()

    def run(self):
        try:
            while not self.halt.is_set():
                with transaction.atomic():
                    publish(ProbeHappened(note="slow"))
                time.sleep(0.1)
        finally:
            connection.close()

    def stop(self):
        self.halt.set()
        self.join(timeout=30)


def sweep_until_all_done(timeout: float) -> None:
    """What beat does every few seconds: re-send whatever is pending and due."""
    deadline = time.monotonic() + timeout
    while Delivery.objects.exclude(status="done").exists():
        assert time.monotonic() < deadline, list(Delivery.objects.exclude(status="done").values("status", "attempts"))
        relay.sweep()
        time.sleep(1)


def test_a_closed_channel_raises_a_connection_error_not_attribute_error(own_redis):
    """The crash in one line: after Connection.collect() (what the consumer does when the broker
    goes away) a channel that must build a new Redis pool reads `transport.client.hostname`."""
    cases = ((kombu_redis.Transport, AttributeError), (broker.Transport, redis.exceptions.ConnectionError))
    for transport, expected in cases:
        connection = kombu.Connection(own_redis.url, transport=transport)
        channel = connection.channel()
        channel._disconnect_pools()  # as Channel.close() does before it fails on the dead server
        connection.collect()
        with pytest.raises(expected) as raised:
            channel.qos.restore_unacked()
        if transport is broker.Transport:
            assert isinstance(raised.value, tuple(broker.Transport.connection_errors))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_busy_workers_survive_a_redis_outage_and_deliver_everything(own_redis):
    env = {"REDIS_URL": own_redis.url}
    with ExitStack() as stack:
        workers = [
            stack.enter_context(CeleryWorker(name=name, extra_env=env, lean=False)) for name in ("outage-a", "outage-b")
        ]
        stack.enter_context(broker_at(own_redis.url))
        app.conf.task_always_eager = False
        stack.callback(setattr, app.conf, "task_always_eager", True)

        publisher = SteadyPublisher()
        publisher.start()
        wait_until(lambda: ProbeRecord.objects.filter(subscriber="second").count() >= 10, timeout=30)
        own_redis.stop()  # for 10 s, while the workers run tasks and the publisher keeps publishing
        time.sleep(10)
        own_redis.start()
        time.sleep(3)
        publisher.stop()
        sweep_until_all_done(timeout=90)

        for worker in workers:
            assert worker.process.poll() is None, f"worker {worker.name} exited:\n{worker.output()[-3000:]}"
            log = worker.output()
            assert "Unrecoverable error" not in log
            assert log.count("] Connected to ") >= 2, log[-3000:]  # it did lose Redis, and reconnected

    events = OutboxEvent.objects.count()
    assert events > 50 and Delivery.objects.count() == events * SUBSCRIBERS
    effects = list(ProbeRecord.objects.values_list("event_id", "subscriber"))
    assert len(effects) == len(set(effects)) == events * SUBSCRIBERS  # each subscriber once per event
