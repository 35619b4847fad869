"""A versioned cache for storefront list pages (stored rendered, as JSON bytes).

Every committed catalogue or availability change moves the version (kept in the shared
cache: Redis in production), so a cached page never outlives the data behind it. Each
worker process also keeps the pages it served in memory and asks the shared cache for
the version at most every VERSION_CHECK_SECONDS (settings.CATALOG_LIST_VERSION_CHECK_SECONDS,
default 1 s): the hot path then costs no network round trip at all, and a change made in
another process shows within that second (in the process that made it, at once). Pages
also expire from the shared cache after PAGE_SECONDS as a backstop, and from a process's memory too.

Redis down: pages are served uncached (nothing read, nothing stored, this process's copies
dropped), never a 500. A change committed meanwhile could not move the version, so the first
process that reaches Redis again after failing moves it itself: no page from before the outage
outlives it."""

import hashlib
import math
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from flowmart.common import cache as shared

VERSION_KEY = "catalog:list-version"
PAGE_SECONDS = 60
LOCAL_PAGES_MAX = 512  # per process; a storefront has few distinct hot list URLs

# This process's view: the version it last read, when, and the pages it holds for that version.
_local: dict = {"version": None, "checked_at": float("-inf"), "pages": {}, "missed_changes": False}


def _check_seconds() -> float:
    return settings.CATALOG_LIST_VERSION_CHECK_SECONDS


def _shared_version() -> str:
    version = shared.call(cache.get, VERSION_KEY)
    if version is None:
        shared.call(cache.add, VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = shared.call(cache.get, VERSION_KEY)
    return version


def _current_version() -> str | None:
    """The shared version (None while the shared cache is unreachable)."""
    now = time.monotonic()
    if now - _local["checked_at"] >= _check_seconds():
        try:
            if _local["missed_changes"]:  # back after an outage: changes made meanwhile moved nothing
                shared.call(cache.set, VERSION_KEY, uuid.uuid4().hex, timeout=None)
                _local["missed_changes"] = False
            version = _shared_version()
        except shared.Unavailable:
            _degrade()
            return None
        if version != _local["version"]:
            _local.update(version=version, pages={})
        _local["checked_at"] = now
    return _local["version"]


def _degrade() -> None:
    _local.update(version=None, pages={}, checked_at=float("-inf"), missed_changes=True)


def lookup(url: str) -> tuple[str | None, bytes | None]:
    """(key to store the page under, the cached page or None); (None, None): serve uncached."""
    version = _current_version()
    if version is None:
        return None, None
    key = f"catalog:list:{version}:{hashlib.sha256(url.encode()).hexdigest()}"
    kept = _local["pages"].get(key)
    if kept is not None and time.monotonic() - kept[1] < PAGE_SECONDS:
        return key, kept[0]
    try:
        stored = shared.call(cache.get, key)
    except shared.Unavailable:
        _degrade()
        return None, None
    if stored is None:
        return key, None
    page, until = stored if isinstance(stored, tuple) else (stored, None)  # (page, wall-clock expiry)
    left = PAGE_SECONDS if until is None else until - time.time()
    if left <= 0:
        return key, None
    _remember(key, page, min(left, PAGE_SECONDS))
    return key, page


def store(key: str | None, page: bytes, valid_for: float | None = None) -> None:
    """`valid_for`: seconds until the page's content changes by itself (a sale or deal window
    of one of its products opens or closes, catalog/promotions.py); it is not kept past that."""
    seconds = PAGE_SECONDS if valid_for is None else min(PAGE_SECONDS, math.floor(valid_for))
    if key is None or seconds <= 0:
        return
    try:
        shared.call(cache.set, key, (page, time.time() + seconds), timeout=seconds)
    except shared.Unavailable:
        _degrade()
        return
    _remember(key, page, seconds)


def _remember(key: str, page: bytes, seconds: float = PAGE_SECONDS) -> None:
    """Kept as (page, since): `since` is set back so the page expires after `seconds`."""
    pages = _local["pages"]
    if len(pages) >= LOCAL_PAGES_MAX:
        pages.clear()
    pages[key] = (page, time.monotonic() - (PAGE_SECONDS - seconds))


def invalidate_on_commit() -> None:
    """Call inside the writing transaction: the version moves only if it commits."""
    transaction.on_commit(_move_version)


def _move_version() -> None:
    try:
        shared.call(cache.set, VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except shared.Unavailable:
        _degrade()  # moved as soon as the shared cache answers again
        return
    _local["checked_at"] = float("-inf")  # this process sees its own change at once
