"""One scheduling beat at a time, however many `celery beat` processes run.

Beat may run on several machines for availability (docs/operations.md, multi-machine layout):
each one, at start (Celery's `beat_init` signal), waits for a Redis lock before its scheduler
sends anything. The holder renews the lock every third of its TTL; a second beat stands by,
polling, and takes over within a TTL of the holder dying. A holder that cannot renew (the key
expired while it was paused or cut off from Redis, so another beat may hold it now) stops its
own process at once, and its supervisor restarts it as a standby: two beats never schedule
together for longer than one tick.

The lock is redis-py's `Lock` (SET NX PX to take it, a compare-and-set Lua script to renew and
release it, so a beat never extends or frees a lock that is not its own), with the holder's
host and pid as the token: `redis-cli GET flowmart:beat:lock` names the scheduling beat.

The periodic jobs stay safe to run twice at once (unique keys, skip-locked claims): the lock is
what keeps a second beat from doubling the work, not what keeps the data right.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
import uuid

import redis
from redis.exceptions import LockError

logger = logging.getLogger("flowmart.beat")

KEY = "flowmart:beat:lock"


class BeatLock:
    """The beat lock in Redis at `url`, held for `ttl` seconds at a time and renewed."""

    def __init__(self, url: str, ttl: float, key: str = KEY):
        self.ttl = ttl
        self.key = key
        self.client = redis.Redis.from_url(url, socket_timeout=max(ttl / 3, 1), socket_connect_timeout=2)
        # thread_local=False: the token taken by the main thread is renewed by the keeper thread.
        self.lock = self.client.lock(key, timeout=ttl, thread_local=False)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()

    def try_take(self) -> bool:
        """Take the lock if it is free (or was ours and expired). Never blocks."""
        return bool(self.lock.acquire(blocking=False, token=self.token))

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        return value.decode() if value is not None else None

    def renew(self) -> bool:
        """Reset the TTL of our lock. False: it is not ours any more (expired, taken by another)."""
        try:
            self.lock.reacquire()
        except LockError:
            return False
        return True

    def release(self) -> None:
        """Free the lock for a standby at once (a clean stop); a lock no longer ours is left alone."""
        self._stop.set()
        with contextlib.suppress(LockError, redis.RedisError):  # expired or unreachable: the TTL frees it
            self.lock.release()

    def wait_until_taken(self, poll: float | None = None) -> None:
        """Block until this process holds the lock, saying once who holds it meanwhile."""
        poll = poll if poll is not None else min(self.ttl / 3, 5.0)
        told = False
        while True:
            try:
                if self.try_take():
                    logger.info("beat lock taken (%s): this beat schedules", self.token)
                    return
                if not told:
                    logger.info("beat lock held by %s: standing by, polling every %.1f s", self.holder(), poll)
                    told = True
            except redis.RedisError as exc:
                logger.warning("beat lock: Redis unreachable (%s); still standing by", exc)
            time.sleep(poll)

    def keep(self, on_lost) -> threading.Thread:
        """Renew the lock every third of its TTL in a daemon thread; call on_lost() once if it is
        lost: refused by Redis (no longer ours), or not renewed for a whole TTL (unreachable)."""

        def renew_until_stopped():
            renewed_at = time.monotonic()
            while not self._stop.wait(self.ttl / 3):
                try:
                    if self.renew():
                        renewed_at = time.monotonic()
                        continue
                    logger.error("beat lock lost (now held by %s): this beat stops scheduling", self.holder())
                except redis.RedisError as exc:
                    if time.monotonic() - renewed_at < self.ttl:
                        logger.warning("beat lock: renewal failed (%s); retrying", exc)
                        continue
                    logger.error("beat lock: not renewed for %.0f s (%s): this beat stops scheduling", self.ttl, exc)
                on_lost()
                return

        thread = threading.Thread(target=renew_until_stopped, name="beat-lock", daemon=True)
        thread.start()
        return thread


def stop_this_process() -> None:
    """Stop beat as SIGTERM does (it saves its schedule and exits); the supervisor restarts it,
    and it comes back as a standby."""
    os.kill(os.getpid(), signal.SIGTERM)


def guard_beat(url: str, ttl: float) -> BeatLock | None:
    """Hold the beat lock before this process schedules anything. Without Redis (the embedded
    default) there is nothing to share a lock through: beat runs unguarded, and only one may run."""
    if not url:
        logger.warning("beat lock: no REDIS_URL, so no lock; run exactly one beat")
        return None
    beat_lock = BeatLock(url, ttl)
    beat_lock.wait_until_taken()
    beat_lock.keep(on_lost=stop_this_process)
    return beat_lock
