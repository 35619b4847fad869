"""Storefront reads of promotions: the running and coming lightning deals and catalogue sales.
Public (shoppers browse them), read-only; prices per SKU are on the products (catalog API)."""

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from flowmart.common.money import Money
from flowmart.common.serializers import MoneyField, money_body

from ..models import LightningDeal, Sale
from ..models.sales import schedule_at


class DealSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku_id")
    product_id = serializers.IntegerField(source="sku.product_id")
    name = serializers.CharField(source="sku.variant_name")
    price = MoneyField(help_text="the deal price per unit")
    original_price = MoneyField(source="sku.price", help_text="the regular price")
    claimed_percent = serializers.IntegerField(help_text="claimed units in % of those offered (0-100)")
    status = serializers.SerializerMethodField(help_text="live | scheduled")

    class Meta:
        model = LightningDeal
        fields = ["id", "sku", "product_id", "name", "price", "original_price", "units", "claimed"]
        fields += ["claimed_percent", "starts_at", "ends_at", "status"]

    def get_status(self, deal) -> str:
        return schedule_at(deal.starts_at, deal.ends_at)


class SaleSerializer(serializers.ModelSerializer):
    amount_off = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(help_text="live | scheduled")

    class Meta:
        model = Sale
        fields = ["id", "name", "seller_id", "percent_off", "amount_off", "starts_at", "ends_at", "status"]

    def get_amount_off(self, sale) -> dict | None:
        return None if sale.amount_off is None else money_body(Money(sale.amount_off, sale.currency))

    def get_status(self, sale) -> str:
        return schedule_at(sale.starts_at, sale.ends_at)


def _running_or_coming(queryset, upcoming: bool):
    now = timezone.now()
    queryset = queryset.filter(enabled=True, ends_at__gt=now)
    return queryset if upcoming else queryset.filter(Q(starts_at__lte=now))


class DealListView(APIView):
    """Live lightning deals with their claimed % (`?upcoming=true`: scheduled ones too)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=DealSerializer(many=True))
    def get(self, request):
        upcoming = request.query_params.get("upcoming") == "true"
        deals = _running_or_coming(LightningDeal.objects.select_related("sku"), upcoming).order_by("ends_at", "id")
        return Response(DealSerializer(deals[:100], many=True).data)


class SaleListView(APIView):
    """Live catalogue sales (`?upcoming=true`: scheduled ones too)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=SaleSerializer(many=True))
    def get(self, request):
        upcoming = request.query_params.get("upcoming") == "true"
        sales = _running_or_coming(Sale.objects.all(), upcoming).order_by("ends_at", "id")
        return Response(SaleSerializer(sales[:100], many=True).data)
