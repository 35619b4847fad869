"""Rate-limit counters in Redis: one atomic round trip per hit, the window's expiry set by its
first hit, and a refunded hit given back (flowmart/common/throttling.py)."""

import pytest
import redis
from django.core.cache import caches

from flowmart.common import throttling


@pytest.fixture
def commands(monkeypatch):
    sent = []
    original = redis.Redis.execute_command

    def counting(self, *args, **options):
        sent.append(args[0])
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    return sent


def test_each_hit_is_one_redis_command_and_the_window_expires(commands):
    first = throttling.hit("probe", "ip:192.0.2.1", (2, 60))
    second = throttling.hit("probe", "ip:192.0.2.1", (2, 60))
    third = throttling.hit("probe", "ip:192.0.2.1", (2, 60))

    assert [first.allowed, second.allowed, third.allowed] == [True, True, False]
    assert commands == ["EVAL", "EVAL", "EVAL"]
    store = caches["default"]
    full_key = store.make_and_validate_key(first.key)
    assert 0 < store._cache.get_client(full_key).ttl(full_key) <= 61
    assert store.get(first.key) == 3


def test_a_refunded_hit_is_given_back():
    counted = throttling.hit("probe", "account:ana@example.com", (1, 60))
    throttling.refund(counted)

    assert throttling.hit("probe", "account:ana@example.com", (1, 60)).allowed
    assert not throttling.hit("probe", "account:ana@example.com", (1, 60)).allowed


def test_separate_idents_and_windows_count_apart():
    assert throttling.hit("probe", "ip:192.0.2.1", (1, 60)).allowed
    assert throttling.hit("probe", "ip:192.0.2.2", (1, 60)).allowed
    assert throttling.hit("other", "ip:192.0.2.1", (1, 60)).allowed
