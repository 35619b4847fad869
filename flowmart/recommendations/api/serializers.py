from rest_framework import serializers

from flowmart.common.serializers import MoneyField


class LimitSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=50)


class RecommendedProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    price = MoneyField(allow_null=True, help_text="The cheapest active variant's price")
    score = serializers.FloatField(
        help_text="bought together: paid orders holding both products; trending: units sold, decayed to now"
    )


class RecommendationListSerializer(serializers.Serializer):
    """API.md's list shape; the top `limit` products are one page (next/previous always null)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RecommendedProductSerializer(many=True)
