"""Redis down (a Redis of the test's own, stopped): the catalogue serves uncached, logins and
their limits keep working (counted per process), readiness says degraded, nothing is a 500.
Redis back: caching resumes, and a change made during the outage is not hidden by old pages."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from flowmart.catalog import cache as list_cache
from flowmart.catalog import services as catalog
from flowmart.common import cache as shared
from flowmart.common.money import Money
from tests.events.conftest import broker_at
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.django_db(transaction=True)  # readiness checks run in threads

PASSWORD = "S3cure-pass-123"


@pytest.fixture
def own_redis(settings):
    """The app's cache and broker on a Redis the test may stop."""
    with RedisServer() as server:
        settings.CACHES = {
            "default": {
                **settings.CACHES["default"],
                "LOCATION": server.url,
            }
        }
        with broker_at(server.url):
            yield server
    shared.reset()


@pytest.fixture
def lamp():
    seller = catalog.create_seller(slug="outage-seller", name="Outage Seller")
    category = catalog.create_category(slug="outage", name="Outage")
    return catalog.create_product(
        seller=seller,
        category=category,
        name="Lamp",
        slug="lamp",
        variants=[{"sku": "LAMP-1", "name": "std", "price": Money(Decimal("20.00"), "USD"), "weight_grams": 100}],
    )


def names(response):
    assert response.status_code == 200, response.content
    return [p["name"] for p in response.json()["results"]]


def test_everything_answers_with_redis_down_and_caches_again_when_it_is_back(api_client, own_redis, lamp, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "3/min"},
    }
    get_user_model().objects.create_user(email="ana@example.com", password=PASSWORD)
    assert names(api_client.get("/api/v1/products/")) == ["Lamp"]  # cached in Redis now
    assert api_client.get("/health/ready/").json()["status"] == "ok"

    own_redis.stop()
    assert names(api_client.get("/api/v1/products/")) == ["Lamp"]
    catalog.create_product(
        seller=lamp.seller,
        category=lamp.category,
        name="Desk",
        slug="desk",
        variants=[{"sku": "DESK-1", "name": "std", "price": Money(Decimal("90.00"), "USD"), "weight_grams": 100}],
    )
    assert sorted(names(api_client.get("/api/v1/products/"))) == ["Desk", "Lamp"]  # uncached: shows at once

    login = {"email": "ana@example.com", "password": PASSWORD}
    statuses = [api_client.post("/api/v1/auth/token/", login, format="json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # the limit still holds, counted in this process

    ready = api_client.get("/health/ready/")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "degraded"
    assert {reason.split(":")[0] for reason in body["degraded"]} == {"Cache", "Broker"}
    assert next(status for name, status in body["checks"].items() if "Database" in name) == "OK"

    own_redis.start()  # the AOF kept the old version and pages: the change must still show
    shared.reset()  # (a live process retries on its own RETRY_SECONDS after the failure)
    list_cache._local["checked_at"] = float("-inf")
    assert sorted(names(api_client.get("/api/v1/products/"))) == ["Desk", "Lamp"]
    assert sorted(names(api_client.get("/api/v1/products/"))) == ["Desk", "Lamp"]
    assert list_cache._local["pages"], "caching resumed"
    assert api_client.get("/health/ready/").json()["status"] == "ok"
