"""Shared fixtures. The suite runs on real PostgreSQL and Redis (see `make test`);
it refuses to run on anything else rather than skip what only they can prove."""

import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.support import flush
from tests.support.worker import CeleryWorker


def pytest_configure(config):
    if not settings.IS_POSTGRES:
        raise pytest.UsageError("The test suite needs PostgreSQL: run it with `make test` (sets DATABASE_URL).")
    if not settings.REDIS_URL:
        raise pytest.UsageError("The test suite needs Redis: run it with `make test` (sets REDIS_URL).")
    url = urlparse(settings.REDIS_URL)
    try:
        socket.create_connection((url.hostname, url.port or 6379), timeout=2).close()
    except OSError as exc:
        raise pytest.UsageError(f"Redis is not answering at {settings.REDIS_URL}: {exc}") from exc
    from django.db.models.signals import pre_migrate

    pre_migrate.connect(_create_postgres_extensions, dispatch_uid="tests.create_postgres_extensions")
    flush.install()


def _create_postgres_extensions(using, **kwargs):
    """The suite builds its database from the models (--no-migrations), so the extensions that
    migrations create must exist before the tables and indexes: pg_trgm (catalog 0003_search)."""
    from django.db import connections

    with connections[using].cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached reads must not leak between tests."""
    from django.core.cache import cache

    from flowmart.common import cache as shared

    cache.clear()
    shared.reset()  # a test that stopped a Redis leaves no "down" mark behind
    yield


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def make_customer(db):
    """make_customer(email=...) -> an APIClient authenticated as a new customer (`.user` set)."""
    from django.contrib.auth import get_user_model

    from flowmart.customers.models import ApiToken

    counter = iter(range(1, 10_000))

    def make(email=None, password="S3cure-pass-123", **extra):
        user = get_user_model().objects.create_user(
            email=email or f"customer{next(counter)}@example.com", password=password, **extra
        )
        _, raw = ApiToken.issue(user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.user, client.token = user, raw
        return client

    return make


@pytest.fixture
def customer(make_customer):
    return make_customer()


@pytest.fixture
def make_staff(make_customer):
    """make_staff(role="operations", email=...) -> an APIClient of a user holding that staff
    role (flowmart.common.roles), given through the customers service like the commands do."""
    from flowmart.common import roles
    from flowmart.customers import services
    from tests.support.roles import install_roles

    install_roles()

    def make(role=roles.OPERATIONS, **extra):
        client = make_customer(**extra)
        services.grant_role(client.user, role)
        return client

    return make


@pytest.fixture
def operations(make_staff):
    """An APIClient of an operations user."""
    return make_staff()


@pytest.fixture
def celery_worker(transactional_db, django_db_blocker):
    """A real Celery worker process on the Redis broker, reading the test database.

    Publishing switches from eager to the broker while it runs."""
    from flowmart.celery import app

    with CeleryWorker() as worker:
        app.conf.task_always_eager = False
        try:
            yield worker
        finally:
            app.conf.task_always_eager = True
