"""Wake-ups after commit, through Redis and in-process (no REDIS_URL), never failing the caller."""

import threading

import pytest
import redis
from django.db import transaction

from flowmart.common import wakeups

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["redis", "in-process"])
def backend(request, settings):
    if request.param == "in-process":
        settings.REDIS_URL = ""  # the embedded default: one process, no Redis
    return request.param


def test_a_listener_hears_what_is_announced_after_commit(backend, django_capture_on_commit_callbacks):
    with wakeups.listen("orders:1") as listener, wakeups.listen("orders:2") as other:
        assert listener.live
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            wakeups.notify_on_commit("orders:1", {"status": "paid"})
            assert listener.next(0.05) is None  # not before the commit

        assert listener.next(2) == {"status": "paid"}
        assert other.next(0.05) is None  # another channel hears nothing


def test_nothing_is_announced_for_a_rolled_back_change(backend, django_capture_on_commit_callbacks):
    with wakeups.listen("orders:3") as listener:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            wakeups.notify_on_commit("orders:3", {"status": "paid"})
            raise RuntimeError("rolled back")

        assert callbacks == []
        assert listener.next(0.2) is None


def test_a_listener_blocks_until_a_message_from_another_thread(backend):
    with wakeups.listen("orders:4") as listener:
        threading.Timer(0.1, wakeups.notify, ("orders:4", {"status": "cancelled"})).start()
        assert listener.next(5) == {"status": "cancelled"}


def test_an_unreachable_redis_never_fails_the_announcer_and_the_listener_says_so(monkeypatch):
    monkeypatch.setitem(wakeups._state, "client", redis.Redis(port=1, socket_connect_timeout=0.5))

    wakeups.notify("orders:5", {"status": "paid"})  # logged, not raised

    with wakeups.listen("orders:5") as listener:
        assert not listener.live
        assert listener.next(5) is None  # sleeps POLL_SECONDS at most, then the waiter reads for itself


def test_a_process_holds_at_most_wait_max_waiters(settings, monkeypatch):
    settings.WAIT_MAX_WAITERS = 2
    monkeypatch.setitem(wakeups._state, "slots", None)
    first, second = wakeups.listen("orders:6"), wakeups.listen("orders:7")

    assert first is not None and second is not None
    assert wakeups.listen("orders:8") is None  # full: the caller answers at once
    first.close()
    third = wakeups.listen("orders:8")
    assert third is not None
    second.close()
    third.close()
