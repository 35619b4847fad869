"""Storefront endpoints of the recommendations context: each one indexed top-N read."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors
from . import serializers as s


def _page(results: list[dict]) -> Response:
    return Response({"count": len(results), "next": None, "previous": None, "results": results})


def _limit(request) -> int:
    params = s.LimitSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data["limit"]


class BoughtTogetherView(APIView):
    """Frequently bought together with this product (available products only), most often first."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[s.LimitSerializer], responses=s.RecommendationListSerializer)
    def get(self, request, product_id):
        limit = _limit(request)
        if not selectors.product_known(product_id):
            raise NotFound("No such product.")
        return _page(selectors.bought_together(product_id, limit))


class TrendingView(APIView):
    """What sells now: units in recent paid orders, each decaying by half every half-life."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[s.LimitSerializer], responses=s.RecommendationListSerializer)
    def get(self, request):
        return _page(selectors.trending(_limit(request)))
