"""Staff API payloads: receipts, adjustments and stock per warehouse."""

from rest_framework import serializers

from flowmart.inventory.services import MAX_UNITS_PER_CHANGE


class StockChangeSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    warehouse = serializers.CharField(max_length=32, help_text="warehouse code")
    quantity = serializers.IntegerField(min_value=-MAX_UNITS_PER_CHANGE, max_value=MAX_UNITS_PER_CHANGE)
    reason = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")


class ReceiptSerializer(StockChangeSerializer):
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_UNITS_PER_CHANGE)


class AdjustmentSerializer(StockChangeSerializer):
    reason = serializers.CharField(max_length=255)

    def validate_quantity(self, value):
        if value == 0:
            raise serializers.ValidationError("Must not be zero.")
        return value


class StockLevelSerializer(serializers.Serializer):
    sku = serializers.CharField()
    warehouse = serializers.CharField(source="warehouse.code")
    warehouse_country = serializers.CharField(source="warehouse.country")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    low_stock_threshold = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
