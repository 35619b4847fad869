"""Staff endpoints to receive and adjust stock (each one a ledger line plus an event,
through the services) and to read stock per warehouse.

Operations work on every SKU; seller staff only on their own sellers' SKUs (another
seller's SKU, or one no product of theirs has published, is a 404)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.permissions import IsOperationsOrSellerStaff, staff_schema
from flowmart.common.schema import errors
from flowmart.inventory import selectors, services

from .serializers import AdjustmentSerializer, ReceiptSerializer, StockLevelSerializer

OWN_SKUS = "Seller staff: their own sellers' SKUs only."
UNKNOWN_SKU = "`not_found`: (seller staff) the SKU is another seller's, or none of their published products has it."


def _staff_reference(request) -> str:
    return f"user:{request.user.id}"


class _StockChangeView(APIView):
    """A staff stock change: one ledger line and one InventoryAdjusted, through the service."""

    permission_classes = [IsOperationsOrSellerStaff]
    serializer_class: type
    change: staticmethod

    def post(self, request):
        data = self.serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        sku = data.validated_data["sku"]
        if not selectors.staff_scope(request.user).owned([sku]):
            raise NotFound(f"No SKU {sku!r} among your sellers' products.")
        level = self.change(
            sku=sku,
            warehouse_code=data.validated_data["warehouse"],
            quantity=data.validated_data["quantity"],
            reason=data.validated_data["reason"],
            reference=_staff_reference(request),
        )
        return Response(StockLevelSerializer(level).data, status=status.HTTP_201_CREATED)


def _change_schema(what: str, serializer):
    return staff_schema(
        who=f"{what} Operations: any SKU. {OWN_SKUS}",
        request=serializer,
        responses={201: StockLevelSerializer, **errors(400, 409)},
        not_found=UNKNOWN_SKU,
    )


@extend_schema_view(post=_change_schema("Goods arrived: on_hand goes up.", ReceiptSerializer))
class ReceiptView(_StockChangeView):
    serializer_class = ReceiptSerializer
    change = staticmethod(services.receive_stock)


@extend_schema_view(
    post=_change_schema("A signed correction with a reason (409 `insufficient_stock`).", AdjustmentSerializer)
)
class AdjustmentView(_StockChangeView):
    serializer_class = AdjustmentSerializer
    change = staticmethod(services.adjust_stock)


@staff_schema(
    who=f"Stock per (SKU, warehouse). Operations: every SKU. {OWN_SKUS}",
    responses={200: StockLevelSerializer(many=True)},
    not_found="",
    parameters=[
        OpenApiParameter("sku", str, description="only this SKU"),
        OpenApiParameter("warehouse", str, description="only this warehouse code"),
    ],
)
class StockListView(generics.ListAPIView):
    permission_classes = [IsOperationsOrSellerStaff]
    serializer_class = StockLevelSerializer

    def get_queryset(self):
        params = self.request.query_params
        levels = selectors.stock_levels(sku=params.get("sku") or None, warehouse_code=params.get("warehouse") or None)
        scope = selectors.staff_scope(self.request.user)
        return levels if scope.everything else levels.filter(sku__in=scope.skus())
