"""Rate limits that hold: atomic counters in the shared cache, keyed by the trusted client
address (flowmart/common/client.py), by customer or by account.

Each limit is a fixed window: every hit increments the window's counter and the first hit also
sets its expiry (on Redis one script, one atomic round trip), and a hit past the limit is refused
with the seconds left in the window as Retry-After. Counting *before* acting is what makes a limit hold
under parallel requests: twenty guesses sent at once get twenty different counts.

Rates ("10/min", "5/15m", "100/h", "1000/d") come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
by scope, read per request (so tests can change them); a scope without a rate is not limited.

While Redis is down each process counts in its own memory (flowmart/common/cache.py): a limit
then holds per web process, so an address gets at most (processes × limit) per window.

Applying a limit to a view: `throttle_classes = [by_address("password_reset")]` (per client
address) or `[by_customer("checkout")]` (per signed-in customer, else per address). Logins also
limit failures per account with account_attempt(); the admin login with limit_login().
"""

import hashlib
import math
import re
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import wraps

from django.core.cache import cache as shared_cache
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from rest_framework.exceptions import Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from . import cache
from .client import client_ip
from .errors import error_body

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$")


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """ "10/min" → (10, 60); "5/15m" → (5, 900); None or "" → None (no limit)."""
    if not rate:
        return None
    match = _RATE.match(rate)
    if match is None:
        raise ValueError(f"not a rate: {rate!r} (expected e.g. 10/min, 5/15m, 100/h)")
    number, multiplier, unit = match.groups()
    return int(number), int(multiplier or 1) * _UNITS[unit]


def rate_for(scope: str) -> tuple[int, int] | None:
    return parse_rate(api_settings.DEFAULT_THROTTLE_RATES.get(scope))


@dataclass(frozen=True)
class Hit:
    allowed: bool
    retry_after: int  # seconds until the window ends
    key: str


def hit(scope: str, ident: str, rate: tuple[int, int]) -> Hit:
    """Count one hit of `ident` against `scope` and say whether it is within the limit."""
    limit, period = rate
    now = time.time()
    window = int(now // period)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]  # no emails or addresses in cache keys
    key = f"flowmart:limit:{scope}:{digest}:{window}"
    count = _increment(key, period)
    return Hit(count <= limit, max(1, math.ceil((window + 1) * period - now)), key)


def refund(counted: Hit) -> None:
    """Give a hit back (a login that succeeded counts as no failure)."""
    try:
        cache.call(shared_cache.decr, counted.key)
    except cache.Unavailable:
        _decrement_locally(counted.key)
    except ValueError:  # the window ended meanwhile
        pass


def _increment(key: str, period: int) -> int:
    try:
        return cache.call(_count_shared, key, period)
    except cache.Unavailable:
        return _add_and_incr(cache.local, key, period)


# The window's counter in one Redis round trip: INCR, and EXPIRE on its first hit, in one script
# (atomic like add + incr, which took three commands on three new clients: add, exists, incrby).
_INCR_IN_WINDOW = (
    "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n"
)


def _count_shared(key: str, period: int) -> int:
    store = caches["default"]
    if not isinstance(store, RedisCache):  # the embedded default's local memory
        return _add_and_incr(store, key, period)
    full_key = store.make_and_validate_key(key)  # the key Django's decr (refund) uses
    return int(_write_client(store).eval(_INCR_IN_WINDOW, 1, full_key, period + 1))


def _write_client(store: RedisCache):
    """A Redis client on the store's write pool, made once per store (Django's caches are per
    thread): Django's get_client() builds a new client, ~170 response callbacks, for every call."""
    cache_client = store._cache
    client = getattr(cache_client, "_flowmart_write_client", None)
    if client is None:
        client = cache_client._flowmart_write_client = cache_client.get_client(write=True)
    return client


def _add_and_incr(store, key: str, period: int) -> int:
    for _ in range(2):
        store.add(key, 0, timeout=period + 1)
        try:
            return store.incr(key)
        except ValueError:  # expired between add and incr: start the window's counter again
            continue
    return store.incr(key)


def _decrement_locally(key: str) -> None:
    with suppress(ValueError):
        cache.local.decr(key)


# --- DRF throttles -----------------------------------------------------------------------


class RateLimit(BaseThrottle):
    """A limit for DRF views; subclasses say what they count by (ident)."""

    scope = ""
    rate: str | None = None  # overrides the scope's configured rate (tests)

    def ident(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate = parse_rate(self.rate) if self.rate else rate_for(self.scope)
        ident = self.ident(request, view)
        if rate is None or ident is None:
            return True
        counted = hit(self.scope, ident, rate)
        self._retry_after = counted.retry_after
        return counted.allowed

    def wait(self) -> int:
        return self._retry_after


class AddressRateLimit(RateLimit):
    def ident(self, request, view):
        address = client_ip(request)
        return f"ip:{address}" if address else None


class CustomerRateLimit(RateLimit):
    def ident(self, request, view):
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        address = client_ip(request)
        return f"ip:{address}" if address else None


def by_address(scope: str) -> type[RateLimit]:
    return type(f"{scope.title().replace('_', '')}AddressLimit", (AddressRateLimit,), {"scope": scope})


def by_customer(scope: str) -> type[RateLimit]:
    return type(f"{scope.title().replace('_', '')}CustomerLimit", (CustomerRateLimit,), {"scope": scope})


# --- Logins: failures per account ---------------------------------------------------------

ACCOUNT_SCOPE = "login_account"


@contextmanager
def account_attempt(account: str):
    """Count a login attempt against its account before the password is checked (so parallel
    guesses cannot slip past the limit) and give it back if the block finishes: only failures
    (the block raising) stay counted. Raises Throttled once the account is over its limit."""
    rate = rate_for(ACCOUNT_SCOPE)
    account = (account or "").strip().lower()
    if rate is None or not account:
        yield
        return
    counted = hit(ACCOUNT_SCOPE, f"account:{account}", rate)
    if not counted.allowed:
        raise Throttled(wait=counted.retry_after)
    yield
    refund(counted)


def limit_login(view, address_scope: str = "auth", username_field: str = "username"):
    """Wrap a form login view (Django's admin login): POSTs are limited per client address and
    per account like the API's, a successful login (a redirect) gives its account hit back."""

    @wraps(view)
    def limited(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        rate = rate_for(address_scope)
        address = client_ip(request)
        if rate and address:
            counted = hit(address_scope, f"ip:{address}", rate)
            if not counted.allowed:
                return too_many_attempts(request, counted.retry_after)
        response = None
        try:
            with account_attempt(request.POST.get(username_field, "")):
                response = view(request, *args, **kwargs)
                if response.status_code not in (301, 302, 303):
                    raise _LoginFailed
        except _LoginFailed:
            return response
        except Throttled as exc:
            return too_many_attempts(request, int(exc.wait))
        return response

    return limited


class _LoginFailed(Exception):
    pass


def too_many_attempts(request, retry_after: int) -> HttpResponse:
    """429 with Retry-After: a short page for browsers, the API's error body for everything else."""
    message = f"Too many login attempts. Try again in {retry_after} seconds."
    if "text/html" in request.headers.get("Accept", ""):
        response = HttpResponse(f"<!doctype html><title>429</title><p>{escape(message)}</p>", status=429)
    else:
        response = JsonResponse(error_body("throttled", message), status=429)
    response["Retry-After"] = str(retry_after)
    return response
