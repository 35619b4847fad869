"""Staff endpoints (operations and seller staff, scoped to their sellers' SKUs) and the
carriers' tracking webhook.

Seller staff see the shipments and returns that hold at least one of their SKUs, with
only their own lines; another seller's parcel is a 404. They print labels, dispatch and
receive only parcels that hold nothing but their goods (a mixed parcel is a 403: it is
operations' to handle)."""

import hashlib
import hmac

from django.conf import settings
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.errors import ApiError, Forbidden
from flowmart.common.permissions import IsOperationsOrSellerStaff, staff_schema
from flowmart.common.roles import StaffScope
from flowmart.common.schema import errors
from flowmart.shipping import selectors, services
from flowmart.shipping.carriers import CARRIERS
from flowmart.shipping.models import Return

from .serializers import (
    CarrierWebhookSerializer,
    FulfilmentShipmentSerializer,
    ReturnParcelSerializer,
    TrackingOutcomeSerializer,
)

SIGNATURE_HEADER = "X-Carrier-Signature"
SELLER_SHIPMENTS = "Seller staff: shipments holding at least one of their SKUs, showing only their own lines."
SELLER_RETURNS = "Seller staff: returns holding at least one of their SKUs, showing only their own lines."
MIXED = (
    "`permission_denied`: the caller holds no staff role, or (seller staff) the parcel also holds other sellers' goods."
)


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


class _StaffView:
    """Operations or seller staff; `scope` says which SKUs the caller may touch."""

    permission_classes = [IsOperationsOrSellerStaff]

    @property
    def scope(self) -> StaffScope:
        if not hasattr(self, "_scope"):
            self._scope = selectors.staff_scope(self.request.user)
        return self._scope

    def visible_shipment(self, pk: int):
        """The shipment as the caller may see it; 404 when it holds none of their SKUs."""
        return get_object_or_404(selectors.shipments_for_staff(self.scope), pk=pk)

    def handled_shipment(self, pk: int):
        """A shipment the caller may act on: visible, and (seller staff) all theirs."""
        shipment = self.visible_shipment(pk)
        if not self.scope.owns_all(selectors.shipment_skus(shipment.pk)):
            raise Forbidden(f"Shipment {shipment.pk} also holds other sellers' goods; operations handle it.")
        return shipment


@staff_schema(
    who=f"Operations: every shipment. {SELLER_SHIPMENTS}",
    responses={200: FulfilmentShipmentSerializer(many=True)},
    not_found="",
    parameters=[OpenApiParameter("order_id", int, description="Only this order's shipments.")],
)
class ShipmentListView(_StaffView, generics.ListAPIView):
    serializer_class = FulfilmentShipmentSerializer

    def get_queryset(self):
        return _order_filter(selectors.shipments_for_staff(self.scope).order_by("-id"), self.request)


class IsStaffOrParcelCustomer(IsOperationsOrSellerStaff):
    """Staff as for every shipment endpoint; any signed-in customer too, whom the view shows
    only their own parcels (another's is 404, as API.md asks)."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)


@staff_schema(
    who=f"Operations: any shipment. {SELLER_SHIPMENTS}",
    customers="Customers: their own shipment, with the carrier's `tracking_url` and the applied `tracking_events` "
    "(status, place, at), no label; another customer's is 404.",
    responses={200: FulfilmentShipmentSerializer},
)
class ShipmentDetailView(_StaffView, generics.RetrieveAPIView):
    serializer_class = FulfilmentShipmentSerializer
    permission_classes = [IsStaffOrParcelCustomer]

    def _for_staff(self) -> bool:
        return IsOperationsOrSellerStaff().has_permission(self.request, self)

    def get_object(self):
        if self._for_staff():
            return self.visible_shipment(self.kwargs["pk"])
        shipment = selectors.shipment_of_customer(self.request.user.id, self.kwargs["pk"])
        if shipment is None:
            raise NotFound("No such shipment.")
        return shipment

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "customer": not self._for_staff()}


def _pdf(field, filename: str) -> FileResponse:
    if not field:
        raise NotFound("This parcel has no label.")
    return FileResponse(field.open("rb"), content_type="application/pdf", filename=filename)


class ShipmentLabelView(_StaffView, APIView):
    """The shipment's label PDF, streamed from the storage backend (staff print it); the
    first download draws and stores it (services/labels.py)."""

    @staff_schema(
        who="Operations: any shipment's label. Seller staff: labels of parcels holding only their SKUs.",
        responses={(200, "application/pdf"): bytes},
        denied=MIXED,
    )
    def get(self, request, pk: int):
        shipment = self.handled_shipment(pk)
        return _pdf(services.stored_label(shipment.pk), f"label-{shipment.tracking_number}.pdf")


class ReturnLabelView(APIView):
    """The customer's prepaid return label. The return id (128 random bits, handed only to
    the customer who asked) is the capability, as in a signed storage URL."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request, return_id: str):
        ret = get_object_or_404(Return, return_id=return_id)
        return _pdf(ret.label, f"return-{ret.tracking_number}.pdf")


class ShipmentDispatchView(_StaffView, APIView):
    """Staff hand the parcel to the carrier. 409 unless the shipment is `created`."""

    @staff_schema(
        who="Operations: any shipment. Seller staff: parcels holding only their SKUs. 409 unless `created`.",
        request=None,
        responses={200: FulfilmentShipmentSerializer, **errors(409)},
        denied=MIXED,
    )
    def post(self, request, pk: int):
        self.handled_shipment(pk)
        services.dispatch_shipment(pk, acting_for=None if self.scope.everything else self.scope)
        return Response(FulfilmentShipmentSerializer(self.visible_shipment(pk)).data)


@staff_schema(
    who=f"Operations: every return. {SELLER_RETURNS}",
    responses={200: ReturnParcelSerializer(many=True)},
    not_found="",
    parameters=[OpenApiParameter("order_id", int, description="Only this order's returns.")],
)
class ReturnListView(_StaffView, generics.ListAPIView):
    serializer_class = ReturnParcelSerializer

    def get_queryset(self):
        return _order_filter(selectors.returns_for_staff(self.scope).order_by("-id"), self.request)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        visible = None if self.scope.everything else self.scope.owned(sku for ret in page for sku in ret.skus)
        data = ReturnParcelSerializer(page, many=True, context={"visible_skus": visible}).data
        return self.get_paginated_response(data)


class ReturnReceiveView(_StaffView, APIView):
    """Staff received the parcel back (orders then refunds it). 409 when it was received already."""

    @staff_schema(
        who="Operations: any return. Seller staff: returns holding only their SKUs. 409 when received already.",
        request=None,
        responses={200: ReturnParcelSerializer, **errors(409)},
        denied=MIXED,
    )
    def post(self, request, return_id: str):
        ret = get_object_or_404(selectors.returns_for_staff(self.scope), return_id=return_id)
        if not self.scope.owns_all(ret.skus):
            raise Forbidden(f"Return {return_id} also holds other sellers' goods; operations receive it.")
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
