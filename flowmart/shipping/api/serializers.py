from django.urls import reverse
from rest_framework import serializers

from flowmart.shipping.carriers import UnknownCarrier, get_carrier
from flowmart.shipping.models import Return, Shipment, ShipmentLine, TrackingEvent
from flowmart.shipping.services import tracking
from flowmart.shipping.services.returns import return_label_url


class ShipmentLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShipmentLine
        fields = ["sku", "quantity"]


class TrackingEventSerializer(serializers.ModelSerializer):
    place = serializers.CharField(source="location", help_text="where the carrier scanned the parcel (may be empty)")
    at = serializers.DateTimeField(source="occurred_at", help_text="when the carrier says it happened")

    class Meta:
        model = TrackingEvent
        fields = ["status", "place", "at", "event_id", "occurred_at", "location", "reason", "applied"]


class FulfilmentShipmentSerializer(serializers.ModelSerializer):
    """A shipment as staff see it, and as its customer sees it (`customer` in the context: no
    label, only the tracking updates that were applied)."""

    warehouse = serializers.CharField(source="warehouse_code")
    lines = ShipmentLineSerializer(many=True)
    label_url = serializers.SerializerMethodField()
    tracking_url = serializers.SerializerMethodField(help_text="the carrier's public page for this parcel")
    tracking_events = TrackingEventSerializer(many=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order_id",
            "status",
            "carrier",
            "method",
            "tracking_number",
            "tracking_url",
            "warehouse",
            "lines",
            "label_url",
            "last_location",
            "created_at",
            "dispatched_at",
            "delivered_at",
            "tracking_events",
        ]
        read_only_fields = fields

    def get_label_url(self, obj) -> str | None:
        if self.context.get("customer") or not obj.label:
            return None  # labels are printed by staff
        return reverse("shipping-shipment-label", kwargs={"pk": obj.pk})

    def get_tracking_url(self, obj) -> str | None:
        try:
            return get_carrier(obj.carrier).tracking_url(obj.tracking_number) if obj.tracking_number else None
        except UnknownCarrier:
            return None


class ReturnParcelSerializer(serializers.ModelSerializer):
    """A return as staff see it. With `visible_skus` in the context (seller staff), the lines
    of other sellers' SKUs are left out."""

    label_url = serializers.SerializerMethodField()

    class Meta:
        model = Return
        fields = [
            "return_id",
            "order_id",
            "status",
            "lines",
            "reason",
            "carrier",
            "tracking_number",
            "label_url",
            "warehouse_code",
            "received_lines",
            "created_at",
            "received_at",
        ]
        read_only_fields = fields

    def get_label_url(self, obj) -> str | None:
        return return_label_url(obj.return_id) if obj.label else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        visible = self.context.get("visible_skus")
        if visible is not None:
            for key in ("lines", "received_lines"):
                data[key] = [line for line in data[key] if line["sku"] in visible]
        return data


class CarrierWebhookSerializer(serializers.Serializer):
    """A carrier's tracking update, as the simulated carriers (and our adapters) send it."""

    event_id = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=40)
    status = serializers.ChoiceField(choices=[str(s) for s in tracking.CARRIER_STATUSES])
    occurred_at = serializers.DateTimeField()
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TrackingOutcomeSerializer(serializers.Serializer):
    shipment_id = serializers.IntegerField()
    status = serializers.CharField()
    outcome = serializers.ChoiceField(choices=[str(o) for o in tracking.Outcome])
