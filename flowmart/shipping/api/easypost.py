"""EasyPost's webhook: `tracker.updated` events for the parcels we bought labels for.

EasyPost signs each delivery with HMAC-SHA256 of the raw body under the webhook's secret
(`X-Hmac-Signature: hmac-sha256-hex=<hex>`); the official SDK's validate_webhook checks it.
Other event types, parcels that are not ours and statuses with no meaning for us (pre_transit)
answer 200 so EasyPost stops retrying; duplicates and stale updates change nothing."""

from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema
from easypost.errors import SignatureVerificationError
from easypost.util import validate_webhook
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.schema import errors
from flowmart.shipping import services
from flowmart.shipping.carriers.easypost import STATUSES

from .views import InvalidSignature


class EasyPostEventSerializer(serializers.Serializer):
    """The parts of an EasyPost Event this endpoint reads (the rest is ignored)."""

    id = serializers.CharField(help_text='The EasyPost event id, e.g. "evt_...".')
    description = serializers.CharField(help_text='"tracker.updated" is acted on; other types are acknowledged.')
    result = serializers.DictField(help_text="The Tracker: tracking_code, status, tracking_details, updated_at.")


class EasyPostOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["applied", "ignored", "duplicate", "not_ours"])
    shipment_id = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(allow_null=True, help_text="The shipment's status after the update.")


class EasyPostWebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    card_scan_exempt = True  # signed by EasyPost; tracking codes may be long digit runs

    @extend_schema(request=EasyPostEventSerializer, responses={200: EasyPostOutcomeSerializer, **errors(401)})
    def post(self, request):
        secret = settings.EASYPOST["WEBHOOK_SECRET"]
        try:
            if not secret:
                raise SignatureVerificationError("EASYPOST_WEBHOOK_SECRET is not set")
            validate_webhook(request.body, request.headers, secret)
        except SignatureVerificationError:
            raise InvalidSignature("Missing or invalid EasyPost signature.") from None
        payload = EasyPostEventSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        event = payload.validated_data
        update = tracking_update(event["id"], event["result"]) if event["description"] == "tracker.updated" else None
        if update is None:
            return Response({"outcome": "ignored", "shipment_id": None, "status": None})
        try:
            shipment, outcome = services.record_tracking_update("easypost", update)
        except services.UnknownParcel:
            return Response({"outcome": "not_ours", "shipment_id": None, "status": None})
        return Response({"outcome": str(outcome), "shipment_id": shipment.pk, "status": shipment.status})


def tracking_update(event_id: str, tracker: dict) -> services.TrackingUpdate | None:
    """Our update from EasyPost's Tracker: its status, and the place, time and message of its
    latest tracking detail. None when the status means nothing for the shipment."""
    status = STATUSES.get(str(tracker.get("status", "")))
    code = str(tracker.get("tracking_code", ""))
    if status is None or not code:
        return None
    details = [d for d in tracker.get("tracking_details") or [] if isinstance(d, dict)]
    latest = details[-1] if details else {}
    place = latest.get("tracking_location") or {}
    location = ", ".join(str(place[k]) for k in ("city", "state", "country") if place.get(k))
    return services.TrackingUpdate(
        event_id=event_id,
        tracking_number=code,
        status=status,
        occurred_at=_when(latest.get("datetime") or tracker.get("updated_at")),
        location=location[:200],
        reason=str(latest.get("message", ""))[:200] if status == "delivery_failed" else "",
    )


def _when(value) -> datetime:
    parsed = parse_datetime(str(value)) if value else None
    if parsed is None:
        return timezone.now()
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)
