"""The one error body of the API: {"error": {"code", "message", "fields"?}}.

Every error goes through here: DRF's own (validation, 401, 404, 405, 429), the
domain errors below, and anything unhandled (a 500 that never leaks a traceback).
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger("flowmart.api")


class ApiError(exceptions.APIException):
    """A domain error with a machine-readable code. Subclass per meaning."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "The request cannot be processed."

    def __init__(self, message: str | None = None, code: str | None = None, fields: dict | None = None, **extra):
        super().__init__(message or self.default_detail, code or self.default_code)
        self.code = code or self.default_code
        self.fields = fields
        self.extra = extra  # further members of the error object, e.g. `available` of insufficient_stock


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The resource is not in a state that allows this."


class Forbidden(ApiError):
    """The caller may see the object but not do this to it (e.g. seller staff and a parcel
    that also holds another seller's goods)."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"
    default_detail = "You may not do this."


class OutOfStock(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "out_of_stock"
    default_detail = "Not enough stock."


class InsufficientStock(ApiError):
    """More units than can be sold: the error object also carries the `sku` and the quantity
    `available` (API.md), and at checkout every short line in `shortages`."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "insufficient_stock"
    default_detail = "Not enough stock."


class IdempotencyKeyReused(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was already used with a different request."


class InvalidRequest(ApiError):
    """A validation problem found by a service rather than a serializer."""

    default_code = "validation_error"
    default_detail = "The request is invalid."


_CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "validation_error",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    error.update(extra)
    return {"error": error}


def _flatten(detail) -> dict:
    """DRF's nested ValidationError detail as {field: [problem, ...]}."""
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value) -> list:
    if isinstance(value, list):
        flat = []
        for item in value:
            flat.extend(_messages(item) if isinstance(item, list | dict) else [str(item)])
        return flat
    if isinstance(value, dict):
        # A nested serializer's own problems belong to the field itself, not to "non_field_errors".
        return [
            msg if key == "non_field_errors" else f"{key}: {msg}"
            for key, inner in value.items()
            for msg in _messages(inner)
        ]
    return [str(value)]


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
        set_rollback()
        return Response(error_body("server_error", "Something went wrong on our side."), status=500)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, ApiError):
        body = error_body(exc.code, str(exc.detail), exc.fields, **exc.extra)
    elif isinstance(exc, exceptions.ValidationError):
        body = error_body("validation_error", "The request is invalid.", _flatten(exc.detail))
    else:
        code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "error")
        body = error_body(code, str(exc.detail))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)
