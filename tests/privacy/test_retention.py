"""Retention on beat: closed accounts erased after PRIVACY_CLOSED_ACCOUNT_RETENTION_DAYS, carts
deleted after PRIVACY_CART_RETENTION_DAYS, each by its own context. Time travel: timestamps
are set back, the jobs run now."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from flowmart.common import privacy
from flowmart.customers import services
from flowmart.customers import tasks as customer_tasks
from flowmart.customers.models import User
from flowmart.events.models import OutboxEvent
from flowmart.orders import tasks as order_tasks
from flowmart.orders.models import Cart

pytestmark = pytest.mark.django_db


def close(user: User, days_ago: int) -> None:
    user.is_active = False
    services.save_user(user)  # what the admin does when staff close an account
    assert User.objects.get(pk=user.pk).closed_at is not None
    User.objects.filter(pk=user.pk).update(closed_at=timezone.now() - timedelta(days=days_ago))


def test_the_beat_schedule_runs_both_retention_jobs():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "flowmart.customers.tasks.erase_closed_accounts" in tasks
    assert "flowmart.orders.tasks.purge_old_carts" in tasks


def test_closed_accounts_are_erased_once_their_retention_period_is_over(make_customer, settings):
    settings.PRIVACY_CLOSED_ACCOUNT_RETENTION_DAYS = 30
    long_closed, recently_closed, active = make_customer(), make_customer(), make_customer()
    close(long_closed.user, days_ago=31)
    close(recently_closed.user, days_ago=29)

    assert customer_tasks.erase_closed_accounts() == 1

    erased = User.objects.get(pk=long_closed.user.pk)
    assert erased.erased_at is not None and erased.email.endswith("@erased.invalid")
    [event] = OutboxEvent.objects.filter(name="CustomerErased")
    assert event.payload == {**event.payload, "customer_id": erased.pk, "reason": "retention"}
    assert User.objects.get(pk=recently_closed.user.pk).erased_at is None
    assert User.objects.get(pk=active.user.pk).erased_at is None
    assert customer_tasks.erase_closed_accounts() == 0  # erased once only


def test_reopening_an_account_stops_the_clock(make_customer, settings):
    settings.PRIVACY_CLOSED_ACCOUNT_RETENTION_DAYS = 30
    client = make_customer()
    close(client.user, days_ago=60)
    user = User.objects.get(pk=client.user.pk)
    user.is_active = True
    services.save_user(user)
    assert User.objects.get(pk=user.pk).closed_at is None
    assert customer_tasks.erase_closed_accounts() == 0


def test_a_blocked_closed_account_waits_for_the_next_run(make_customer, settings):
    settings.PRIVACY_CLOSED_ACCOUNT_RETENTION_DAYS = 30
    client = make_customer()
    close(client.user, days_ago=90)
    privacy.register_erasure_blocker("test", lambda customer_id: ["order 1 is paid"])
    try:
        assert customer_tasks.erase_closed_accounts() == 0
        assert User.objects.get(pk=client.user.pk).erased_at is None
    finally:
        privacy._blockers.pop("test")
    assert customer_tasks.erase_closed_accounts() == 1


def test_old_carts_are_deleted_and_recent_ones_kept(settings):
    settings.PRIVACY_CART_RETENTION_DAYS = 14
    old_guest = Cart.objects.create(token="guest-old")
    old_customer = Cart.objects.create(customer_id=41)
    recent = Cart.objects.create(customer_id=42)
    Cart.objects.filter(pk__in=[old_guest.pk, old_customer.pk]).update(updated_at=timezone.now() - timedelta(days=15))
    Cart.objects.filter(pk=recent.pk).update(updated_at=timezone.now() - timedelta(days=13))

    assert order_tasks.purge_old_carts() == 2
    assert list(Cart.objects.values_list("pk", flat=True)) == [recent.pk]
