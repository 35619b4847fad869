"""Start and stop a real `celery worker` subprocess against the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


class CeleryWorker:
    def __init__(
        self,
        concurrency: int = 2,
        extra_env: dict | None = None,
        name: str = "test",
        lean: bool = True,
        queues: tuple[str, ...] = (),
        flush: bool = True,
    ):
        """`name` tells several workers of one test apart (node name and log file); `lean=False`
        keeps gossip, mingle and heartbeats on, as `make worker` and docker/compose.yaml run it.
        `queues`: consume only these (`-Q`); `flush=False` keeps messages already on the broker
        (a second worker joining the first)."""
        self.concurrency = concurrency
        self.queues = queues
        self.flush = flush
        self.lean = lean
        self.extra_env = extra_env or {}
        self.name = name
        self.process = None
        self.log = ROOT / ".pytest_cache" / f"celery-worker-{os.getpid()}-{name}.log"

    def __enter__(self):
        broker_url = self.extra_env.get("REDIS_URL", settings.REDIS_URL)
        if self.flush:
            redis.Redis.from_url(broker_url).flushdb()  # no stale messages from earlier runs
        self.log.parent.mkdir(exist_ok=True)
        self.log.write_text("")
        self.start()
        return self

    def start(self):
        """Start the worker process (again, after a kill) and wait until it is ready."""
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LOG_FORMAT": "plain",
            **self.extra_env,
        }
        self.log.parent.mkdir(exist_ok=True)
        self._logfile = open(self.log, "a")  # noqa: SIM115 - open for the process's lifetime, closed in stop()
        self._log_offset = self.log.stat().st_size
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "flowmart",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                *(["--without-gossip", "--without-mingle", "--without-heartbeat"] if self.lean else []),
                *(["-Q", ",".join(self.queues)] if self.queues else []),
                "-n",
                f"{self.name}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._logfile,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def output(self) -> str:
        """What this worker process (the latest start) logged so far."""
        return self.log.read_text()[self._log_offset :]

    def messages_received(self, task: str = "flowmart.events.tasks.deliver") -> int:
        """How many messages of `task` this worker took off the broker so far (the latest start):
        Celery logs "Task <name>[<id>] received" for each, at INFO, in the main process."""
        return sum(1 for line in self.output().splitlines() if f"Task {task}[" in line and "] received" in line)

    def _wait_ready(self, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early:\n{self.output()[-3000:]}")
            if "ready." in self.output():
                return
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready in {timeout}s:\n{self.output()[-3000:]}")

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.process.poll() is not None:
            self._logfile.close()
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._logfile.close()


def wait_until(predicate, timeout: float = 20, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or fail with the last one."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            assert value, f"condition not met within {timeout}s"
            return value
        time.sleep(interval)
