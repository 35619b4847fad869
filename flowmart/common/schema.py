"""The OpenAPI schema documents the error answers too: every operation lists the statuses it
can return, each with the one error body of flowmart.common.errors.

Most statuses follow from what the view is (AutoSchema.error_statuses): every request passes
the input guard (400; 413 when it carries a body), a request body can be of the wrong media
type (415), authenticated views answer 401, views with a permission beyond "authenticated"
answer 403, paths with ids and paginated lists answer 404, throttled views 429. What only the
view's logic knows (409, 422, a webhook's 401) it declares with `errors(...)` in its
`extend_schema(responses=...)`.
"""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

DESCRIPTIONS = {
    400: "validation_error: the request is invalid (also NUL characters, JSON nested too deep, or a card number "
    "anywhere in it); `fields` names each problem.",
    401: "not_authenticated: missing, invalid or expired credentials.",
    403: "permission_denied: authenticated, but not allowed to do this.",
    404: "not_found: no such resource, or it belongs to someone else (also a page past the end of a list).",
    405: "method_not_allowed.",
    409: "conflict, out_of_stock, insufficient_stock (with `sku` and `available`) or cart_checked_out (with "
    "`order_id`): the resource's state does not allow this.",
    413: "payload_too_large: the body is over the limit (MAX_REQUEST_BODY_BYTES).",
    415: "unsupported_media_type: the body is not application/json.",
    422: "idempotency_key_reused: the Idempotency-Key was used with another request.",
    429: "throttled: too many requests; retry after `Retry-After` seconds.",
}

OPEN = (permissions.AllowAny, permissions.IsAuthenticated, permissions.IsAuthenticatedOrReadOnly)
BODY_METHODS = {"POST", "PUT", "PATCH"}


class ShortageSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(help_text="units in the cart")
    available = serializers.IntegerField(help_text="units that can be sold")


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="snake_case, e.g. validation_error, not_found, conflict")
    message = serializers.CharField(help_text="for people; never echoes what was refused")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="validation errors only: the problems of each field",
    )
    sku = serializers.CharField(required=False, help_text="insufficient_stock: the SKU that is short")
    available = serializers.IntegerField(
        required=False, help_text="insufficient_stock: how many units of `sku` can be sold right now"
    )
    shortages = ShortageSerializer(
        many=True, required=False, help_text="insufficient_stock at checkout: every line that is short"
    )
    order_id = serializers.IntegerField(required=False, help_text="cart_checked_out: the order the cart became")


class ErrorSerializer(serializers.Serializer):
    """{"error": {"code", "message", "fields"?}} — every 4xx and 5xx answer of the API."""

    error = ErrorDetailSerializer()


def errors(*statuses: int) -> dict:
    """Responses for extend_schema: errors(409, 422) → {409: <error body>, 422: <error body>}."""
    return {status: OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS.get(status, "")) for status in statuses}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status in sorted(self.error_statuses(operation)):
            if str(status) not in responses:
                responses[str(status)] = self._error_response(status)
        return operation

    def error_statuses(self, operation: dict) -> set[int]:
        view = self.view
        statuses = {400}
        if self.method in BODY_METHODS:
            statuses.add(413)
        if "requestBody" in operation:
            statuses.add(415)
        if view.get_authenticators():
            statuses.add(401)  # even on public views: a bad or expired token is refused
        gates = [p for p in view.get_permissions() if not isinstance(p, permissions.AllowAny)]
        if gates:
            statuses.add(401)
        if any(not isinstance(p, OPEN) for p in gates):
            statuses.add(403)
        if "{" in self.path or (self.method == "GET" and self._is_list_view() and self._get_paginator()):
            statuses.add(404)
        if view.get_throttles():
            statuses.add(429)
        return statuses

    def _error_response(self, status: int) -> dict:
        response = self._get_response_for_code(
            OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS.get(status, "")), str(status)
        )
        if status == 429:
            response["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait before retrying"}
            }
        return response
