"""Hostile input on the real routes: every /api/ answer is the JSON error body, bad input is a
4xx (never a 500, a traceback, or an ERROR log line), in production and in DEBUG alike."""

import json
import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

from flowmart.customers.models import Address, User

pytestmark = pytest.mark.django_db
THREE_MB = json.dumps({"email": "big@example.com", "password": "x" * (3 * 1024 * 1024)})
DEEP = "[" * 10_000 + "]" * 10_000


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def errors_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert "Traceback" not in response.content.decode()
    return body["error"]


def post_json(client, url: str, body: str, method: str = "POST"):
    return client.generic(method, url, body, content_type="application/json")


JSON_ENDPOINTS = [
    ("POST", "/api/v1/auth/register/"),
    ("POST", "/api/v1/auth/token/"),
    ("POST", "/api/v1/checkout/"),
    ("POST", "/api/v1/me/addresses/"),
    ("PATCH", "/api/v1/me/"),
    ("POST", "/api/v1/carts/1/items/"),
    ("POST", "/api/v1/orders/1/amend/"),
    ("POST", "/api/v1/payments/stripe/webhook/"),
    ("POST", "/api/v1/shipping/carriers/postal/webhook/"),
    ("POST", "/api/v1/no-such-endpoint/"),
]


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize(("method", "url"), JSON_ENDPOINTS[:5])
def test_a_3mb_body_is_413_payload_too_large(customer, settings, logs, debug, method, url):
    settings.DEBUG = debug
    err = error(post_json(customer, url, THREE_MB, method), 413, "payload_too_large")
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) in err["message"]
    assert not errors_logged(logs)
    assert not User.objects.filter(email="big@example.com").exists()


def test_the_body_limit_is_configurable(api_client, settings, logs):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = json.dumps({"email": "limit@example.com", "password": "p" * 200})
    error(post_json(api_client, "/api/v1/auth/register/", body), 413, "payload_too_large")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    assert post_json(api_client, "/api/v1/auth/register/", body).status_code != 413
    assert not errors_logged(logs)


@pytest.mark.parametrize(("method", "url"), JSON_ENDPOINTS)
@pytest.mark.parametrize("body", [DEEP, '{"a": ' * 5000 + "1" + "}" * 5000, "[" * 40 + "]" * 40])
def test_json_nested_too_deep_is_400_on_every_json_endpoint(customer, logs, method, url, body):
    err = error(post_json(customer, url, body, method), 400, "validation_error")
    assert "nested" in err["message"]
    assert not errors_logged(logs)


def test_the_parser_itself_refuses_deep_json(settings):
    """Behind the middleware, DRF's parser is the second lock (and guards views outside /api/)."""
    import io

    from rest_framework.exceptions import ParseError

    from flowmart.common.parsers import JSONParser

    with pytest.raises(ParseError, match="nested"):
        JSONParser().parse(io.BytesIO(DEEP.encode()))
    with pytest.raises(ParseError, match="NUL"):
        JSONParser().parse(io.BytesIO(b'{"a": "x\\u0000"}'))
    assert JSONParser().parse(io.BytesIO(b'{"a": [1, {"b": "c"}]}')) == {"a": [1, {"b": "c"}]}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orders/?status=%00",
        "/api/v1/orders/?status=paid%00x",
        "/api/v1/orders/?st%00atus=paid",
        "/api/v1/products/?search=%00",
        "/api/v1/products/?category=a%00b",
        "/api/v1/shipping/methods/?country=U%00",
        "/api/v1/orders/1%00/",
    ],
)
def test_nul_in_the_url_is_400(customer, logs, url):
    error(customer.get(url), 400, "validation_error")
    assert not errors_logged(logs)


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        (
            "POST",
            "/api/v1/me/addresses/",
            {"name": "A\u0000", "line1": "1", "city": "c", "postal_code": "1", "country": "US"},
            "name",
        ),  # fmt: skip
        ("PATCH", "/api/v1/me/", {"first_name": "Ada\u0000"}, "first_name"),
        ("POST", "/api/v1/auth/register/", {"email": "n@example.com", "password": "Pass-\u0000-word1"}, "password"),
        ("POST", "/api/v1/auth/token/", {"email": "x", "pass\u0000word": "x"}, None),
        (
            "POST",
            "/api/v1/checkout/",
            {"cart_id": 1, "payment": {"provider": "dummy", "payment_method": "\u0000"}},
            "payment",
        ),  # fmt: skip
        ("POST", "/api/v1/carts/1/items/", {"sku": "MUG\u0000", "quantity": 1}, "sku"),
    ],
)
def test_nul_in_a_json_string_is_400(customer, logs, method, url, body, field):
    err = error(post_json(customer, url, json.dumps(body), method), 400, "validation_error")
    assert field in err["fields"] if field else "fields" not in err
    assert not errors_logged(logs)
    assert not Address.objects.exists()


def test_nul_in_a_header_is_400(customer, logs):
    response = customer.post("/api/v1/checkout/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k\x00")
    assert "Idempotency-Key" in error(response, 400, "validation_error")["fields"]
    assert not errors_logged(logs)


def test_a_form_body_is_415(api_client, logs):
    response = api_client.post(
        "/api/v1/auth/token/", "email=a&password=b", content_type="application/x-www-form-urlencoded"
    )
    error(response, 415, "unsupported_media_type")
    response = Client().post("/api/v1/auth/register/", {"email": "form@example.com", "password": "x"})
    error(response, 415, "unsupported_media_type")
    assert not errors_logged(logs)


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_405_and_404_are_json_in_drf_and_plain_views(api_client, customer, settings, logs, debug):
    settings.DEBUG = debug
    response = customer.delete("/api/v1/checkout/")
    error(response, 405, "method_not_allowed")
    response = api_client.get("/api/v1/payments/stripe/webhook/")  # a plain Django view
    error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"
    error(api_client.get("/api/v1/no-such-thing/"), 404, "not_found")
    error(api_client.get("/api/v1/products/999999/"), 404, "not_found")
    assert not errors_logged(logs)


def test_malformed_json_is_400_without_echoing_it(api_client, logs):
    response = post_json(api_client, "/api/v1/auth/token/", '{"email": "secret-value", ')
    err = error(response, 400, "validation_error")
    assert "secret-value" not in json.dumps(err)
    error(post_json(api_client, "/api/v1/auth/token/", '{"n": NaN}'), 400, "validation_error")
    assert not errors_logged(logs)


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_crash_in_a_plain_api_view_is_a_json_500_even_in_debug(settings, debug):
    settings.ROOT_URLCONF = "tests.common.urls"
    settings.DEBUG = debug
    response = APIClient(raise_request_exception=False).get("/api/v1/test/plain-crash/")
    err = error(response, 500, "server_error")
    assert "secret" not in response.content.decode() and "secret" not in err["message"]


def test_health_and_admin_are_not_touched(api_client):
    assert api_client.get("/health/live/").status_code == 200
    assert api_client.get("/admin/login/").status_code == 200


CARD_BODY = json.dumps({"reference": "4242 4242 4242 4242", "tracking_number": "T1"})


def test_a_card_number_is_refused_except_in_bodies_signed_by_a_provider(api_client, logs):
    refused = error(post_json(api_client, "/api/v1/auth/register/", CARD_BODY), 400, "validation_error")
    assert refused["message"].startswith("Card numbers are never accepted")

    # A carrier's webhook may carry long digit runs: past the guard, its signature check answers.
    signed = post_json(api_client, "/api/v1/shipping/carriers/postal/webhook/", CARD_BODY)
    assert signed.status_code != 400 or "Card numbers" not in signed.json()["error"]["message"]

    # The other rules still hold there.
    nul = json.dumps({"reference": "4242 4242 4242 4242", "note": "a\u0000b"})
    error(post_json(api_client, "/api/v1/shipping/carriers/postal/webhook/", nul), 400, "validation_error")
