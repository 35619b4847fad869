"""Payments HTTP endpoints: the Stripe webhook and the list of available providers."""

import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from flowmart.common.errors import error_body
from flowmart.common.middleware import card_scan_exempt

from ..gateways import available_providers
from ..services import webhooks

logger = logging.getLogger("flowmart.payments")


@card_scan_exempt
@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe calls this; no auth, no throttle: the signature over the raw bytes is the credential."""
    try:
        row = webhooks.receive(request.body, request.headers.get("Stripe-Signature"))
    except webhooks.InvalidWebhook as exc:
        logger.warning("rejected Stripe webhook: %s", exc)
        return JsonResponse(error_body("invalid_signature", "The webhook signature could not be verified."), status=400)
    return JsonResponse({"received": True, "duplicate": row is None})


@extend_schema(
    responses=inline_serializer(
        "PaymentProviders", {"providers": serializers.ListField(child=serializers.CharField())}
    ),
    summary="Payment providers checkout accepts right now (stripe only when configured)",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def providers(request):
    """Which payment providers checkout may use right now."""
    return Response({"providers": available_providers()})
