"""API.md's conventions: one error body for every error, pagination, request ids."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def conventions_urls(settings):
    settings.ROOT_URLCONF = "tests.common.urls"


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_validation_error_names_each_field(api_client):
    response = api_client.post(
        "/api/v1/test/lines/", {"sku": "x" * 11, "quantity": 0, "address": {"country": "USA"}}, format="json"
    )
    err = error(response, 400, "validation_error")
    assert set(err["fields"]) == {"sku", "quantity", "address"}
    assert all(isinstance(problems, list) and problems for problems in err["fields"].values())
    assert err["fields"]["address"][0].startswith("country: ")
    assert all(isinstance(p, str) for p in err["fields"]["quantity"])


def test_missing_fields_and_malformed_json_are_validation_errors(api_client):
    err = error(api_client.post("/api/v1/test/lines/", {}, format="json"), 400, "validation_error")
    assert set(err["fields"]) == {"sku", "quantity"}
    malformed = api_client.post("/api/v1/test/lines/", "{not json", content_type="application/json")
    assert "fields" not in error(malformed, 400, "validation_error")


def test_valid_input_passes(api_client):
    response = api_client.post("/api/v1/test/lines/", {"sku": "ABC", "quantity": 2}, format="json")
    assert response.status_code == 201


def test_missing_or_bad_credentials_are_401_not_authenticated(api_client):
    response = api_client.get("/api/v1/test/private/")
    error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    error(api_client.get("/api/v1/test/private/"), 401, "not_authenticated")


def test_a_valid_bearer_token_is_accepted(customer):
    response = customer.get("/api/v1/test/private/")
    assert response.status_code == 200
    assert response.json() == {"email": customer.user.email}


def test_unknown_urls_are_json_404s_inside_and_outside_the_api(api_client):
    for url in ["/api/v1/no-such-thing/", "/api/v1/orders/not-an-id/nothing/", "/nowhere/"]:
        error(api_client.get(url), 404, "not_found")


def test_not_found_raised_in_a_view_hides_its_detail(api_client):
    err = error(api_client.get("/api/v1/test/missing/"), 404, "not_found")
    assert "secret" not in err["message"]


def test_wrong_method_is_405(api_client):
    response = api_client.delete("/api/v1/test/throttled/")
    error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_throttled_is_429_with_retry_after(api_client):
    assert [api_client.get("/api/v1/test/throttled/").status_code for _ in range(2)] == [200, 200]
    response = api_client.get("/api/v1/test/throttled/")
    error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


@pytest.mark.parametrize(
    "kind, status, code",
    [
        ("conflict", 409, "conflict"),
        ("out_of_stock", 409, "out_of_stock"),
        ("idempotency_key_reused", 422, "idempotency_key_reused"),
        ("invalid", 400, "validation_error"),
    ],
)
def test_domain_errors_carry_their_code(api_client, kind, status, code):
    err = error(api_client.post(f"/api/v1/test/errors/{kind}/"), status, code)
    if kind == "invalid":
        assert err["fields"] == {"lines": ["empty"]}
    if kind == "conflict":
        assert err["message"] == "The order has shipped."


def test_unhandled_error_in_an_api_view_is_a_500_without_the_traceback(settings):
    assert settings.DEBUG is False
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/v1/test/crash/")
    err = error(response, 500, "server_error")
    body = response.content.decode()
    assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body
    assert err["message"] == "Something went wrong on our side."


def test_unhandled_error_outside_drf_is_a_json_500_too():
    response = Client(raise_request_exception=False).get("/test/plain-crash/")
    error(response, 500, "server_error")
    assert "secret" not in response.content.decode()


def test_lists_are_paginated_with_count_next_previous_results(api_client):
    body = api_client.get("/api/v1/test/numbers/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 250
    assert body["previous"] is None and "page=2" in body["next"]
    assert body["results"] == [{"n": n} for n in range(20)]

    page = api_client.get("/api/v1/test/numbers/", {"page": 2, "page_size": 5}).json()
    assert [r["n"] for r in page["results"]] == [5, 6, 7, 8, 9]
    assert page["previous"] is not None


def test_page_size_is_capped_at_100(api_client):
    body = api_client.get("/api/v1/test/numbers/", {"page_size": 1000}).json()
    assert len(body["results"]) == 100
    last = api_client.get("/api/v1/test/numbers/", {"page_size": 100, "page": 3}).json()
    assert len(last["results"]) == 50 and last["next"] is None


def test_a_page_past_the_end_is_a_404(api_client):
    error(api_client.get("/api/v1/test/numbers/", {"page": 99}), 404, "not_found")


def test_every_response_echoes_the_request_id(api_client):
    ok = api_client.get("/api/v1/test/throttled/", headers={"X-Request-ID": "client-abc-1"})
    assert ok["X-Request-ID"] == "client-abc-1"
    failed = api_client.post("/api/v1/test/lines/", {}, format="json", headers={"X-Request-ID": "client-abc-2"})
    assert failed.status_code == 400 and failed["X-Request-ID"] == "client-abc-2"
    generated = api_client.get("/api/v1/no-such-thing/")
    assert len(generated["X-Request-ID"]) == 32


def test_schema_and_docs_are_served(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "FlowMart storefront API"
    assert "openapi" in schema.json()
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
