"""Under `make run` (DEBUG) Django answers errors with its HTML debug pages; every /api/ route
must still answer API.md's JSON error body (404, 405, 413, 415, 500), never a traceback."""

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def debug_mode(settings):
    settings.ROOT_URLCONF = "tests.common.urls"
    settings.DEBUG = True


def json_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["error"]["code"] == code
    text = response.content.decode()
    assert "Traceback" not in text and "<html" not in text.lower() and "DEBUG = True" not in text
    return body["error"]


@pytest.fixture
def browser():
    """A client that asks for HTML first, as a browser on `make run` does."""
    return Client(raise_request_exception=False, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")


@pytest.mark.parametrize(
    "url", ["/api/v1/no-such-thing/", "/api/v1/products/flow-mug/", "/api/v1/orders/1/nothing/", "/api/nowhere"]
)
def test_unknown_api_routes_are_json_404_in_debug(browser, url):
    json_error(browser.get(url), 404, "not_found")


def test_wrong_method_is_json_405_in_debug(browser):
    response = browser.delete("/api/v1/test/throttled/")
    json_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_too_large_is_json_413_in_debug(browser, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"sku": "x" * 5000, "quantity": 1})
    json_error(browser.post("/api/v1/test/lines/", body, content_type="application/json"), 413, "payload_too_large")


def test_wrong_media_type_is_json_415_in_debug(browser):
    response = browser.post("/api/v1/test/lines/", "sku=A&quantity=1", content_type="text/plain")
    json_error(response, 415, "unsupported_media_type")


def test_crashes_are_json_500_in_debug_inside_and_outside_drf(browser):
    for url in ("/api/v1/test/crash/", "/api/v1/test/plain-crash/"):
        err = json_error(browser.get(url), 500, "server_error")
        assert "hunter2" not in err["message"]


def test_a_product_fetched_by_slug_is_the_json_404_of_api_md(browser):
    """API.md's path is /products/{id}/ (ids are what clients send back); a slug is not an id."""
    err = json_error(browser.get("/api/v1/products/some-product-slug/"), 404, "not_found")
    assert err["message"]
