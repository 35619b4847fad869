"""The Idempotency-Key header of the API's money-moving POSTs (checkout, subscribe): how it is
documented and how it is read, in one place. What a key replays is each service's business."""

from drf_spectacular.utils import OpenApiParameter

from .errors import InvalidRequest

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    required=True,
    description="The same key and body replay the first answer; another body with it is 422.",
)


def idempotency_key(request) -> str:
    """The request's key; 400 with the field named when it is missing or too long."""
    key = request.headers.get("Idempotency-Key", "")
    if not 1 <= len(key) <= 255:
        raise InvalidRequest(
            "An Idempotency-Key header (1–255 characters) is required.",
            fields={"Idempotency-Key": ["Required, 1–255 characters."]},
        )
    return key
