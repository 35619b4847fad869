from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..catalogue import OPTIONAL_CATEGORIES
from ..channels import endpoint_allowed
from ..models import BackInStockRequest, Message, PushSubscription


class MessageSerializer(serializers.ModelSerializer):
    template = serializers.CharField(source="message_type", help_text="Which message it is, e.g. order_confirmation.")

    class Meta:
        model = Message
        fields = ["id", "channel", "template", "status", "created_at", "sent_at", "subject"]


@extend_schema_field(
    {
        "type": "object",
        "properties": {name: {"type": "boolean"} for name in OPTIONAL_CATEGORIES},
        "description": "Optional message categories, each on or off (essential ones cannot be switched off).",
    }
)
class CategoriesField(serializers.DictField):
    child = serializers.BooleanField()

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        unknown = sorted(set(value) - set(OPTIONAL_CATEGORIES))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown or essential categories: {', '.join(unknown)}. Choose from {', '.join(OPTIONAL_CATEGORIES)}."
            )
        return value


class PreferencesSerializer(serializers.Serializer):
    email = serializers.BooleanField(help_text="Non-essential email (order, payment and security email always goes).")
    sms = serializers.BooleanField(help_text="SMS to the profile's phone number.")
    push = serializers.BooleanField(help_text="Web Push to the browsers you registered.")
    categories = CategoriesField(required=False)


class PushKeysSerializer(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=100)


class PushSubscriptionSerializer(serializers.ModelSerializer):
    """The browser's PushSubscription.toJSON(): {endpoint, keys: {p256dh, auth}, expirationTime?}."""

    keys = PushKeysSerializer(write_only=True)
    expirationTime = serializers.IntegerField(required=False, allow_null=True, write_only=True)  # noqa: N815

    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "keys", "expirationTime", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"endpoint": {"validators": []}}  # an endpoint registered again is an upsert

    def validate_endpoint(self, value: str) -> str:
        if not endpoint_allowed(value):
            raise serializers.ValidationError("Not a push service endpoint we deliver to.")
        return value


class NotifyMeSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)


class BackInStockRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = BackInStockRequest
        fields = ["id", "product_id", "sku", "status", "created_at"]


class PushKeySerializer(serializers.Serializer):
    enabled = serializers.BooleanField(help_text="False while Web Push is not configured on this shop.")
    public_key = serializers.CharField(
        allow_null=True, help_text="The VAPID public key: the browser's applicationServerKey (null when disabled)."
    )
