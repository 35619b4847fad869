"""Payments HTTP endpoints: the Stripe webhook and the list of available providers."""

import logging

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.errors import InvalidRequest, error_body
from flowmart.common.middleware import card_scan_exempt
from flowmart.common.schema import ErrorSerializer

from ..gateways import available_providers
from ..services import authentication, webhooks

logger = logging.getLogger("flowmart.payments")


class PaymentReturnSerializer(serializers.Serializer):
    order_id = serializers.IntegerField()
    payment_status = serializers.CharField(
        help_text="succeeded, failed, requires_action (not decided yet), on_hold, ... (payments' own status)"
    )


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


class PaymentReturnView(APIView):
    """Where the customer's browser comes back after 3-D Secure (`return_url`): the payment is
    settled from the provider's record of the intent, exactly as the webhook would, so it
    completes once whichever of the two arrives first. Anonymous: the intent id is the
    capability (it was handed only to this order's customer) and nothing is revealed but the
    order id and the payment's status."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "payment_intent", str, required=True, description="the provider's intent id (appended by the provider)"
            )
        ],
        responses={200: PaymentReturnSerializer, 404: OpenApiResponse(ErrorSerializer, description="no such payment")},
        summary="Return URL after 3-D Secure: completes the payment (once) and tells its outcome",
    )
    def get(self, request):
        intent_id = request.query_params.get("payment_intent", "")
        if not 1 <= len(intent_id) <= 100:
            raise InvalidRequest(
                "The provider's payment_intent is required.", fields={"payment_intent": ["Required, 1–100 characters."]}
            )
        try:
            done = authentication.complete(intent_id)
        except authentication.UnknownIntent:
            raise NotFound("No such payment.") from None
        return Response({"order_id": done.order_id, "payment_status": done.payment_status})
