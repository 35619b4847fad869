"""The shared cache (Redis in production) is a help, never a dependency: callers that can do
without it go through call(), which turns any Redis failure into Unavailable, and then serve
uncached (catalogue lists) or count locally (rate limits).

After a failure the shared cache counts as down for RETRY_SECONDS in this process, so requests
during an outage don't each wait for a refused or timed-out connection; one warning is logged
per outage and one line when it is back.
"""

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

logger = logging.getLogger("flowmart.cache")

ERRORS = (RedisError, OSError)
RETRY_SECONDS = 5.0

_state = {"down_until": 0.0, "down": False}

# This process's stand-in for the shared cache while it is down (rate-limit counters only).
local = LocMemCache("flowmart-local-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


class Unavailable(Exception):
    """The shared cache cannot be reached (now, or it failed a moment ago)."""


def call(operation, *args, **kwargs):
    """Run one operation on the shared cache, e.g. call(cache.get, key)."""
    if time.monotonic() < _state["down_until"]:
        raise Unavailable("the shared cache failed moments ago")
    try:
        result = operation(*args, **kwargs)
    except ERRORS as exc:
        if not _state["down"]:
            logger.warning("shared cache unavailable (%s): serving uncached and counting limits per process", exc)
        _state.update(down=True, down_until=time.monotonic() + RETRY_SECONDS)
        raise Unavailable(str(exc)) from exc
    if _state["down"]:
        logger.warning("shared cache reachable again")
        _state["down"] = False
    return result


def is_down() -> bool:
    """Whether this process last found the shared cache unreachable."""
    return _state["down"]


def reset() -> None:
    """Forget a past failure (tests; the next call tries Redis again)."""
    _state.update(down=False, down_until=0.0)
    local.clear()
