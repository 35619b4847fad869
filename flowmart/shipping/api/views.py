"""Operations endpoints (staff only) and the carriers' tracking webhook."""

import hashlib
import hmac

from django.conf import settings
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.errors import ApiError
from flowmart.common.schema import errors
from flowmart.shipping import services
from flowmart.shipping.carriers import CARRIERS
from flowmart.shipping.models import Return, Shipment

from .serializers import (
    CarrierWebhookSerializer,
    FulfilmentShipmentSerializer,
    ReturnParcelSerializer,
    TrackingOutcomeSerializer,
)

SIGNATURE_HEADER = "X-Carrier-Signature"


class InvalidSignature(ApiError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "not_authenticated"
    default_detail = "Missing or invalid carrier signature."


def _order_filter(queryset, request):
    order_id = request.query_params.get("order_id")
    if order_id is None:
        return queryset
    if not order_id.isdigit():
        raise ApiError("order_id must be an integer.", code="validation_error", fields={"order_id": ["not an id"]})
    return queryset.filter(order_id=int(order_id))


@extend_schema(parameters=[OpenApiParameter("order_id", int, description="Only this order's shipments.")])
class ShipmentListView(generics.ListAPIView):
    permission_classes = [IsAdminUser]
    serializer_class = FulfilmentShipmentSerializer

    def get_queryset(self):
        queryset = Shipment.objects.prefetch_related("lines", "tracking_events").order_by("-id")
        return _order_filter(queryset, self.request)


class ShipmentDetailView(generics.RetrieveAPIView):
    permission_classes = [IsAdminUser]
    serializer_class = FulfilmentShipmentSerializer
    queryset = Shipment.objects.prefetch_related("lines", "tracking_events")


def _pdf(field, filename: str) -> FileResponse:
    if not field:
        raise NotFound("This parcel has no label.")
    return FileResponse(field.open("rb"), content_type="application/pdf", filename=filename)


class ShipmentLabelView(APIView):
    """The shipment's label PDF, streamed from the storage backend (staff print it)."""

    permission_classes = [IsAdminUser]

    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request, pk: int):
        shipment = get_object_or_404(Shipment, pk=pk)
        return _pdf(shipment.label, f"label-{shipment.tracking_number}.pdf")


class ReturnLabelView(APIView):
    """The customer's prepaid return label. The return id (128 random bits, handed only to
    the customer who asked) is the capability, as in a signed storage URL."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request, return_id: str):
        ret = get_object_or_404(Return, return_id=return_id)
        return _pdf(ret.label, f"return-{ret.tracking_number}.pdf")


class ShipmentDispatchView(APIView):
    """Operations hand the parcel to the carrier. 409 unless the shipment is `created`."""

    permission_classes = [IsAdminUser]

    @extend_schema(request=None, responses={200: FulfilmentShipmentSerializer, **errors(409)})
    def post(self, request, pk: int):
        get_object_or_404(Shipment, pk=pk)
        shipment = services.dispatch_shipment(pk)
        shipment = Shipment.objects.prefetch_related("lines", "tracking_events").get(pk=shipment.pk)
        return Response(FulfilmentShipmentSerializer(shipment).data)


@extend_schema(parameters=[OpenApiParameter("order_id", int, description="Only this order's returns.")])
class ReturnListView(generics.ListAPIView):
    permission_classes = [IsAdminUser]
    serializer_class = ReturnParcelSerializer

    def get_queryset(self):
        return _order_filter(Return.objects.order_by("-id"), self.request)


class ReturnReceiveView(APIView):
    """Operations received the parcel back. 409 when it was received already."""

    permission_classes = [IsAdminUser]

    @extend_schema(request=None, responses={200: ReturnParcelSerializer, **errors(409)})
    def post(self, request, return_id: str):
        get_object_or_404(Return, return_id=return_id)
        return Response(ReturnParcelSerializer(services.receive_return(return_id)).data)


class CarrierWebhookView(APIView):
    """Tracking updates from a carrier, signed with HMAC-SHA256 over the raw body using
    that carrier's secret: `X-Carrier-Signature: sha256=<hex>`. Duplicates and stale
    updates answer 200 (so the carrier stops retrying) and change nothing."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    card_scan_exempt = True  # signed by the carrier; its tracking numbers may be long digit runs

    @extend_schema(request=CarrierWebhookSerializer, responses={200: TrackingOutcomeSerializer, **errors(401)})
    def post(self, request, carrier: str):
        if carrier not in CARRIERS:
            raise NotFound(f"Unknown carrier {carrier!r}.")
        _verify_signature(carrier, request.body, request.headers.get(SIGNATURE_HEADER, ""))
        payload = CarrierWebhookSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            shipment, outcome = services.record_tracking_update(
                carrier, services.TrackingUpdate(**payload.validated_data)
            )
        except services.UnknownParcel:
            raise NotFound(f"{carrier} parcel {payload.validated_data['tracking_number']} is not ours.") from None
        return Response({"shipment_id": shipment.pk, "status": shipment.status, "outcome": str(outcome)})


def sign(secret: str, body: bytes) -> str:
    """The header value a carrier sends for body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _verify_signature(carrier: str, body: bytes, header: str) -> None:
    secret = settings.SHIPPING_CARRIER_SECRETS.get(carrier)
    if not secret or not header or not hmac.compare_digest(sign(secret, body), header.strip().lower()):
        raise InvalidSignature()
