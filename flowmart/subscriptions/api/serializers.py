"""Request and response shapes of Subscribe & Save (see shared API.md, Subscriptions)."""

from rest_framework import serializers

from flowmart.common.serializers import MoneyField, money_body
from flowmart.contracts.common import AddressSerializer
from flowmart.contracts.payments import PaymentSerializer

from ..calendar import valid_time_zone
from ..models import Plan, Renewal, RenewalAttempt, Subscription


class PlanSerializer(serializers.ModelSerializer):
    price = MoneyField(help_text="the variant's price today, before the plan's discount")
    product_id = serializers.IntegerField()
    product_name = serializers.SerializerMethodField()
    variant_name = serializers.SerializerMethodField()

    class Meta:
        model = Plan
        fields = [
            "id", "name", "sku", "interval", "interval_count", "discount_percent", "price",
            "product_id", "product_name", "variant_name", "min_cycles",
        ]  # fmt: skip

    def get_product_name(self, plan) -> str:
        return plan.variant.product_name

    def get_variant_name(self, plan) -> str:
        return plan.variant.name


class SubscribeSerializer(serializers.Serializer):
    plan_id = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=1, max_value=100, default=1)
    shipping_address = AddressSerializer(required=False)
    shipping_address_id = serializers.IntegerField(required=False)
    shipping_method = serializers.CharField(max_length=50, default="standard")
    payment = PaymentSerializer()
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        help_text="IANA zone the calendar runs in (default SUBSCRIPTIONS_DEFAULT_TIME_ZONE)",
    )

    def validate_time_zone(self, value):
        if not valid_time_zone(value):
            raise serializers.ValidationError("Not an IANA time zone (e.g. Europe/Berlin).")
        return value

    def validate(self, attrs):
        if ("shipping_address" in attrs) == ("shipping_address_id" in attrs):
            raise serializers.ValidationError(
                {"shipping_address": ["Send either shipping_address or shipping_address_id (one of them)."]}
            )
        return attrs


class ChangeSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1, max_value=100, required=False)
    plan_id = serializers.IntegerField(required=False, help_text="another interval, or another variant of the product")
    shipping_address = AddressSerializer(required=False)
    shipping_address_id = serializers.IntegerField(required=False)
    shipping_method = serializers.CharField(max_length=50, required=False)
    payment = PaymentSerializer(required=False, help_text="a new card; a past-due renewal is retried at once")

    def validate(self, attrs):
        if "shipping_address" in attrs and "shipping_address_id" in attrs:
            raise serializers.ValidationError({"shipping_address": ["Send shipping_address or shipping_address_id."]})
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": ["Nothing to change."]})
        return attrs


class PauseSerializer(serializers.Serializer):
    until = serializers.DateTimeField(required=False, help_text="resume by itself then (default: until resumed)")


class CancelSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=["customer_request", "too_much_product", "too_expensive", "not_needed", "other"],
        default="customer_request",
    )
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class AttemptSerializer(serializers.ModelSerializer):
    attempt = serializers.IntegerField(source="number")
    order_id = serializers.IntegerField(source="batch.order_id", allow_null=True)
    renewal_key = serializers.CharField(source="batch.key")

    class Meta:
        model = RenewalAttempt
        fields = ["attempt", "status", "failure_code", "order_id", "renewal_key", "created_at", "settled_at"]


class RenewalSerializer(serializers.ModelSerializer):
    attempts = AttemptSerializer(source="attempt_rows", many=True)

    class Meta:
        model = Renewal
        fields = ["cycle", "status", "due_at", "order_id", "failure_code", "reason", "next_retry_at", "attempts"]


class SubscriptionSerializer(serializers.ModelSerializer):
    plan = serializers.SerializerMethodField()
    sku = serializers.CharField(source="plan.sku")
    next_billing_at = serializers.SerializerMethodField()
    next_renewal_price = serializers.SerializerMethodField(help_text="goods after the plan's discount")
    payment = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = [
            "id", "status", "plan", "sku", "quantity", "next_billing_at", "next_renewal_price", "paused_until",
            "time_zone", "shipping_address", "shipping_method", "payment", "cancellation_reason", "created_at",
        ]  # fmt: skip

    def get_plan(self, sub) -> dict:
        p = sub.plan
        return {"id": p.pk, "name": p.name, "interval": p.interval, "interval_count": p.interval_count,
                "discount_percent": p.discount_percent}  # fmt: skip

    def get_next_billing_at(self, sub) -> str | None:
        return None if sub.status == Subscription.Status.CANCELLED else sub.next_billing_at.isoformat()

    def get_next_renewal_price(self, sub) -> dict | None:
        price = self.context.get("prices", {}).get(sub.pk)
        return money_body(price)

    def get_payment(self, sub) -> dict:
        return {"provider": sub.provider, "payment_method": sub.payment_method}


class SubscriptionDetailSerializer(SubscriptionSerializer):
    renewals = serializers.SerializerMethodField(help_text="newest first, each with its attempts and orders")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "renewals"]

    def get_renewals(self, sub) -> list:
        return RenewalSerializer(self.context.get("renewals", []), many=True).data
