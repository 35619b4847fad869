"""Wake-ups: a process that changed something tells the requests waiting for it, in any process.

A committed change is announced with notify_on_commit(channel, message): one Redis PUBLISH right
after the commit (never before: a waiter woken too early would read the old state). A request
that waits for it opens a Listener on the channel *before* it re-reads the state it waits for, so
a change committed between its read and its subscription is not missed.

Wake-ups are a help, never a guarantee: PUBLISH is fire-and-forget, and while Redis cannot be
reached a Listener says so (`live` is False) and its waiter re-reads the state every
POLL_SECONDS instead. Without REDIS_URL (the embedded default, one process) the same calls go
through an in-process registry, so `make run` behaves the same.

Every listener holds one thread of the web process while it waits. WAIT_MAX_WAITERS caps them
per process (below the server's threads), so waiters can never starve ordinary requests: past
the cap listen() answers None and the caller answers at once, as to a poll.
"""

import contextlib
import json
import logging
import queue
import threading
import time

import redis
from django.conf import settings
from django.db import transaction

from . import cache as shared

logger = logging.getLogger("flowmart.wakeups")

POLL_SECONDS = 0.5  # how often a waiter re-reads while Redis is down

_lock = threading.Lock()
_state: dict = {"client": None, "slots": None}
_local: dict[str, set[queue.SimpleQueue]] = {}  # channel → in-process listeners (no REDIS_URL)


def _client() -> redis.Redis | None:
    """The process's Redis client for wake-ups (its own pool: PUBLISH and SUBSCRIBE are not cache calls)."""
    if not settings.REDIS_URL:
        return None
    if _state["client"] is None:
        with _lock:
            if _state["client"] is None:
                # Every listener holds a connection of the pool while it waits; redis-py's default
                # pool stops at 100, which would turn the 101st waiter into a Redis "outage".
                _state["client"] = redis.Redis.from_url(
                    settings.REDIS_URL,
                    socket_connect_timeout=1,
                    socket_timeout=1,
                    max_connections=max(settings.WAIT_MAX_WAITERS, 0) + 32,
                )
    return _state["client"]


def on_redis(channel: str) -> str:
    """The channel's name on the Redis server. Pub/sub ignores the database number, so the name
    carries it: two shops (or two test processes) on one server, each on its own database, never
    hear each other."""
    client = _client()
    db = client.connection_pool.connection_kwargs.get("db", 0) if client is not None else 0
    return f"db{db}:{channel}"


def _slots() -> threading.BoundedSemaphore:
    if _state["slots"] is None:
        with _lock:
            if _state["slots"] is None:
                _state["slots"] = threading.BoundedSemaphore(max(settings.WAIT_MAX_WAITERS, 1))
    return _state["slots"]


def notify_on_commit(channel: str, message: dict) -> None:
    """Announce `message` on `channel` once the current transaction commits (dropped on rollback)."""
    transaction.on_commit(lambda: notify(channel, message))


def notify(channel: str, message: dict) -> None:
    """Publish now. Never raises: a lost wake-up costs a waiter its timeout, not the caller its work."""
    data = json.dumps(message)
    client = _client()
    if client is None:
        with _lock:
            listeners = list(_local.get(channel, ()))
        for inbox in listeners:
            inbox.put(data)
        return
    try:
        shared.call(client.publish, on_redis(channel), data)
    except shared.Unavailable as exc:
        logger.info("wake-up on %s not sent: %s", channel, exc)
    except Exception:  # a wake-up must never fail the commit's caller
        logger.exception("wake-up on %s not sent", channel)


def listen(channel: str) -> "Listener | None":
    """A Listener subscribed to `channel`, or None when this process already holds WAIT_MAX_WAITERS."""
    slots = _slots()
    if settings.WAIT_MAX_WAITERS <= 0 or not slots.acquire(blocking=False):
        return None
    listener = Listener(channel, slots)
    try:
        listener.open()
    except BaseException:
        listener.close()
        raise
    return listener


class Listener:
    """One waiter's subscription. Use as a context manager; next() blocks without holding anything else."""

    def __init__(self, channel: str, slot: threading.Semaphore):
        self.channel = channel
        self._slot = slot  # given back on close
        self.live = False  # False: Redis is unreachable, the waiter must re-read by itself
        self._pubsub = None
        self._inbox: queue.SimpleQueue | None = None
        self._closed = False

    def __enter__(self) -> "Listener":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        client = _client()
        if client is None:
            self._inbox = queue.SimpleQueue()
            with _lock:
                _local.setdefault(self.channel, set()).add(self._inbox)
            self.live = True
            return
        try:
            self._pubsub = client.pubsub()
            shared.call(self._pubsub.subscribe, on_redis(self.channel))  # skipped at once while Redis is known down
            # Read Redis' confirmation: only then is the subscription in force on the server, so a
            # PUBLISH after the caller's next read of the state cannot pass it by.
            confirmation = self._pubsub.get_message(timeout=1)
            self.live = bool(confirmation and confirmation["type"] == "subscribe")
        except (shared.Unavailable, redis.RedisError, OSError) as exc:
            logger.info("wake-ups unavailable on %s (%s): the waiter re-reads instead", self.channel, exc)
            self.live = False

    def next(self, timeout: float) -> dict | None:
        """The next message within `timeout` seconds, else None. Not live: sleeps POLL_SECONDS at most."""
        if not self.live:
            time.sleep(max(0.0, min(timeout, POLL_SECONDS)))
            return None
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            data = self._receive(left)
            if data is not None:
                return json.loads(data)
            if not self.live:
                return None
        return None

    def _receive(self, timeout: float):
        if self._inbox is not None:
            try:
                return self._inbox.get(timeout=timeout)
            except queue.Empty:
                return None
        try:
            message = self._pubsub.get_message(timeout=timeout)
        except (redis.RedisError, OSError) as exc:
            logger.warning("wake-ups lost on %s (%s): the waiter re-reads instead", self.channel, exc)
            self.live = False
            return None
        return message["data"] if message and message["type"] == "message" else None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._inbox is not None:
            with _lock:
                inboxes = _local.get(self.channel, set())
                inboxes.discard(self._inbox)
                if not inboxes:
                    _local.pop(self.channel, None)
        if self._pubsub is not None:
            with contextlib.suppress(redis.RedisError, OSError):
                self._pubsub.close()
        self._slot.release()
