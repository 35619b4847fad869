"""The OpenAPI schema documents the error answers: every operation lists the statuses it can
return with the shared error body (flowmart.common.schema), and nullable fields say so."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/", {"format": "json"}).json()


def responses(schema, method: str, path: str) -> dict:
    return schema["paths"][path][method]["responses"]


def test_the_error_body_is_one_shared_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = schema["components"]["schemas"]["ErrorDetail"]
    # code and message always; fields for validation errors; the rest only with their codes
    # (insufficient_stock: sku, available, shortages; cart_checked_out: order_id).
    optional = {"fields", "sku", "available", "shortages", "order_id"}
    assert set(detail["properties"]) == {"code", "message"} | optional and set(detail["required"]) == {
        "code",
        "message",
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status >= "400":
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error", (method, path, status)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("post", "/api/v1/checkout/", {"400", "401", "404", "409", "413", "415", "422", "429"}),
        ("post", "/api/v1/carts/{cart_id}/items/", {"400", "401", "404", "409", "413", "415"}),
        ("get", "/api/v1/products/", {"400", "401", "404"}),
        ("get", "/api/v1/products/{id}/", {"400", "401", "404"}),
        ("post", "/api/v1/auth/token/", {"400", "401", "413", "415", "429"}),
        ("post", "/api/v1/inventory/adjustments/", {"400", "401", "403", "404", "409", "413", "415"}),
        ("post", "/api/v1/shipping/shipments/{id}/dispatch/", {"400", "401", "403", "404", "409", "413"}),
        ("post", "/api/v1/shipping/carriers/{carrier}/webhook/", {"400", "401", "404", "413", "415"}),
        ("get", "/api/v1/payments/providers/", {"400"}),
    ],
)
def test_each_operation_lists_the_errors_it_returns(schema, method, path, expected):
    documented = {status for status in responses(schema, method, path) if status >= "400"}
    assert documented == expected


def test_throttled_operations_document_retry_after(schema):
    throttled = responses(schema, "post", "/api/v1/auth/register/")["429"]
    assert "Retry-After" in throttled["headers"]


def test_the_idempotency_key_is_a_required_bounded_header(schema):
    [key] = [p for p in schema["paths"]["/api/v1/checkout/"]["post"]["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and key["required"] is True
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)


def test_nullable_fields_are_declared_nullable(schema):
    components = schema["components"]["schemas"]
    assert components["Category"]["properties"]["parent"]["nullable"] is True
    assert components["Order"]["properties"]["subscription_id"]["nullable"] is True
