"""Beat on several machines: only the holder of the Redis lock schedules, a second beat stands by
and takes over when the first dies (flowmart/beat_lock.py). Against the test Redis, with real
`celery beat` processes."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from flowmart.beat_lock import KEY, BeatLock
from tests.support.worker import wait_until

ROOT = Path(__file__).resolve().parents[1]
SENT = "Sending due task events-sweep"


@pytest.fixture
def key():
    name = f"test:beat-lock:{uuid.uuid4().hex}"
    yield name
    redis.Redis.from_url(settings.REDIS_URL).delete(name)


def test_one_holder_at_a_time_and_only_the_holder_renews_or_frees_it(key):
    first, second = BeatLock(settings.REDIS_URL, ttl=5, key=key), BeatLock(settings.REDIS_URL, ttl=5, key=key)

    assert first.try_take() and not second.try_take()
    assert first.holder() == first.token
    assert first.renew() and not second.renew()
    second.release()  # not its lock: left alone
    assert first.holder() == first.token
    first.release()
    assert second.try_take() and second.holder() == second.token


def test_an_expired_holder_is_replaced_and_learns_it_when_it_renews(key):
    first, second = BeatLock(settings.REDIS_URL, ttl=0.3, key=key), BeatLock(settings.REDIS_URL, ttl=0.3, key=key)
    assert first.try_take()
    time.sleep(0.4)  # the holder paused past its TTL

    assert second.try_take()
    assert not first.renew()
    assert second.holder() == second.token


def test_the_keeper_renews_past_the_ttl_and_reports_a_lost_lock_once(key):
    holder = BeatLock(settings.REDIS_URL, ttl=0.6, key=key)
    assert holder.try_take()
    lost = []
    holder.keep(on_lost=lambda: lost.append(time.monotonic()))

    time.sleep(1.5)  # more than two TTLs: only the keeper's renewals keep it
    assert holder.holder() == holder.token and not lost

    redis.Redis.from_url(settings.REDIS_URL).set(key, "another-beat")  # e.g. it expired and was taken
    wait_until(lambda: lost, timeout=3)
    time.sleep(0.5)
    assert len(lost) == 1


class Beat:
    """A real `celery beat` process against the test Redis, sweeping every 0.3 s, with a 2 s lock."""

    def __init__(self, name: str, tmp_path: Path):
        self.log = tmp_path / f"beat-{name}.log"
        env = {
            **os.environ,
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "BEAT_LOCK_TTL_SECONDS": "2",
            "EVENTS_SWEEP_SECONDS": "0.3",
            "LOG_FORMAT": "plain",
            "LOG_LEVEL": "INFO",
        }
        command = [sys.executable, "-m", "celery", "-A", "flowmart", "beat", "--loglevel=INFO"]
        command += [f"--schedule={tmp_path / f'schedule-{name}'}"]
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text()

    def sent(self) -> int:
        return self.output().count(SENT)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def beats(tmp_path):
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(KEY)
    started: list[Beat] = []

    def start(name):
        started.append(Beat(name, tmp_path))
        return started[-1]

    yield start
    for beat in started:
        beat.stop()
    client.delete(KEY, "celery")  # the lock and the sweeps nobody consumed


def test_a_second_beat_stands_by_and_takes_over_when_the_first_dies(beats):
    first = beats("first")
    wait_until(lambda: first.sent() >= 2, timeout=30)
    second = beats("second")
    wait_until(lambda: "standing by" in second.output(), timeout=30)

    before = first.sent()
    time.sleep(2.5)  # longer than the lock's TTL: the holder keeps it by renewing
    assert first.sent() > before
    assert second.sent() == 0

    first.process.send_signal(signal.SIGKILL)  # dies without letting go: the TTL frees it
    first.process.wait()
    wait_until(lambda: second.sent() >= 2, timeout=15)
    assert "beat lock taken" in second.output()


def test_a_beat_stopped_cleanly_hands_over_at_once(beats):
    first = beats("first")
    wait_until(lambda: first.sent() >= 1, timeout=30)
    second = beats("second")
    wait_until(lambda: "standing by" in second.output(), timeout=30)

    first.stop()  # SIGTERM, as a deploy or `systemctl stop` does: the lock is released on exit
    holder = redis.Redis.from_url(settings.REDIS_URL).get(KEY)
    assert holder is None or f":{second.process.pid}:" in holder.decode()  # freed, not left to expire
    wait_until(lambda: second.sent() >= 1, timeout=15)
