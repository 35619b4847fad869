"""A versioned cache for storefront list pages (stored rendered, as JSON bytes).

Every committed catalogue or availability change moves the version, so a cached page
is never served after the data behind it changed: the version lives in the shared cache
(Redis in production, so every worker sees the move at once) and is read on every
request — in the same round trip as the page itself while it has not moved. Pages also
expire after LIST_CACHE_SECONDS as a backstop."""

import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalog:list-version"
LIST_CACHE_SECONDS = getattr(settings, "CATALOG_LIST_CACHE_SECONDS", 60)

_last_seen = {"version": ""}  # this process's guess of the version: saves a round trip when right


def _page_key(version: str, url: str) -> str:
    return f"catalog:list:{version}:{hashlib.sha256(url.encode()).hexdigest()}"


def lookup(url: str) -> tuple[str, bytes | None]:
    """(key to store the page under, the cached page or None)."""
    guess = _last_seen["version"]
    found = cache.get_many([VERSION_KEY, _page_key(guess, url)])
    version = found.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY) or version
    _last_seen["version"] = version
    key = _page_key(version, url)
    if version == guess:
        return key, found.get(key)
    return key, cache.get(key)


def store(key: str, page: bytes) -> None:
    cache.set(key, page, timeout=LIST_CACHE_SECONDS)


def invalidate_on_commit() -> None:
    """Call inside the writing transaction: the version moves only if it commits."""
    transaction.on_commit(lambda: cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None))
