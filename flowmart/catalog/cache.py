"""A versioned cache for storefront list pages (stored rendered, as JSON bytes).

Every committed catalogue or availability change moves the version (kept in the shared
cache: Redis in production), so a cached page never outlives the data behind it. Each
worker process also keeps the pages it served in memory and asks the shared cache for
the version at most every VERSION_CHECK_SECONDS (settings.CATALOG_LIST_VERSION_CHECK_SECONDS,
default 1 s): the hot path then costs no network round trip at all, and a change made in
another process shows within that second (in the process that made it, at once). Pages
also expire from the shared cache after PAGE_SECONDS as a backstop."""

import hashlib
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalog:list-version"
PAGE_SECONDS = 60
LOCAL_PAGES_MAX = 512  # per process; a storefront has few distinct hot list URLs

# This process's view: the version it last read, when, and the pages it holds for that version.
_local: dict = {"version": None, "checked_at": float("-inf"), "pages": {}}


def _check_seconds() -> float:
    return settings.CATALOG_LIST_VERSION_CHECK_SECONDS


def _shared_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _current_version() -> str:
    now = time.monotonic()
    if now - _local["checked_at"] >= _check_seconds():
        version = _shared_version()
        if version != _local["version"]:
            _local.update(version=version, pages={})
        _local["checked_at"] = now
    return _local["version"]


def lookup(url: str) -> tuple[str, bytes | None]:
    """(key to store the page under, the cached page or None)."""
    version = _current_version()
    key = f"catalog:list:{version}:{hashlib.sha256(url.encode()).hexdigest()}"
    page = _local["pages"].get(key)
    if page is None:
        page = cache.get(key)
        if page is not None:
            _remember(key, page)
    return key, page


def store(key: str, page: bytes) -> None:
    cache.set(key, page, timeout=PAGE_SECONDS)
    _remember(key, page)


def _remember(key: str, page: bytes) -> None:
    pages = _local["pages"]
    if len(pages) >= LOCAL_PAGES_MAX:
        pages.clear()
    pages[key] = page


def invalidate_on_commit() -> None:
    """Call inside the writing transaction: the version moves only if it commits."""
    transaction.on_commit(_move_version)


def _move_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    _local["checked_at"] = float("-inf")  # this process sees its own change at once
