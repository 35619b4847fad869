"""Staff endpoints to receive and adjust stock (each one a ledger line plus an event,
through the services) and to read stock per warehouse."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.schema import errors
from flowmart.inventory import selectors, services

from .serializers import AdjustmentSerializer, ReceiptSerializer, StockLevelSerializer


def _staff_reference(request) -> str:
    return f"user:{request.user.id}"


class _StockChangeView(APIView):
    """A staff stock change: one ledger line and one InventoryAdjusted, through the service."""

    permission_classes = [IsAdminUser]
    serializer_class: type
    change: staticmethod

    def post(self, request):
        data = self.serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        level = self.change(
            sku=data.validated_data["sku"],
            warehouse_code=data.validated_data["warehouse"],
            quantity=data.validated_data["quantity"],
            reason=data.validated_data["reason"],
            reference=_staff_reference(request),
        )
        return Response(StockLevelSerializer(level).data, status=status.HTTP_201_CREATED)


@extend_schema_view(post=extend_schema(request=ReceiptSerializer, responses={201: StockLevelSerializer}))
class ReceiptView(_StockChangeView):
    serializer_class = ReceiptSerializer
    change = staticmethod(services.receive_stock)


@extend_schema_view(
    post=extend_schema(request=AdjustmentSerializer, responses={201: StockLevelSerializer, **errors(409)})
)
class AdjustmentView(_StockChangeView):
    serializer_class = AdjustmentSerializer
    change = staticmethod(services.adjust_stock)


@extend_schema(
    parameters=[
        OpenApiParameter("sku", str, description="only this SKU"),
        OpenApiParameter("warehouse", str, description="only this warehouse code"),
    ]
)
class StockListView(generics.ListAPIView):
    permission_classes = [IsAdminUser]
    serializer_class = StockLevelSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.stock_levels(sku=params.get("sku") or None, warehouse_code=params.get("warehouse") or None)
