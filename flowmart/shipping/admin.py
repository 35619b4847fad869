"""Shipping in the admin: the rate table for operations (every save republishes it through
the rate service); shipments with the dispatch action, the tracking log and returns with
receive for operations and, cut to their sellers' SKUs (shipping's own SellerSku/SellerStaff
projections), for a seller's staff. Another seller's goods in a shared parcel stay hidden."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from flowmart.common import roles
from flowmart.common.admin import PersonalDataAccessMixin, ReadOnlyAdmin, ReadOnlyInline, SellerScopedMixin
from flowmart.common.errors import ApiError, Forbidden

from . import dashboard, selectors, services  # noqa: F401 - dashboard: registers its panels
from .carriers import refusal
from .models import (
    CarrierParcel,
    Rate,
    Return,
    ReturnSku,
    Shipment,
    ShipmentLine,
    ShippingMethod,
    ShippingOrder,
    TrackingEvent,
    Zone,
)


class RateTableAdmin(ModelAdmin):
    """Saves and deletes publish the whole table once, after the inlines are saved too."""

    def save_related(self, request, form, formsets, change):
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            revision = services.publish_rate_table()
        self.message_user(request, f"Rate table published as revision {revision}.")

    def delete_model(self, request, obj):
        services.delete_rate_table_rows([obj])

    def delete_queryset(self, request, queryset):
        services.delete_rate_table_rows(list(queryset))


class RateInline(TabularInline):
    model = Rate
    extra = 0
    fields = ["zone", "max_weight_grams", "price_amount", "price_currency"]
    ordering = ["zone__name", "max_weight_grams"]


class ShippingMethodForm(forms.ModelForm):
    """Refuses a carrier no adapter serves (or EasyPost without its key), as the rate service does."""

    class Meta:
        model = ShippingMethod
        fields = ["code", "name", "carrier", "estimated_days", "active", "easypost_carrier", "easypost_service"]

    def clean_carrier(self):
        carrier = self.cleaned_data["carrier"]
        if refused := refusal(carrier):
            raise forms.ValidationError(refused)
        return carrier


@admin.register(ShippingMethod)
class ShippingMethodAdmin(RateTableAdmin):
    form = ShippingMethodForm
    list_display = ["code", "name", "carrier", "easypost_service_name", "estimated_days", "active"]
    list_filter = ["active", "carrier"]
    inlines = [RateInline]

    @admin.display(description="EasyPost service")
    def easypost_service_name(self, obj):
        if obj.carrier != "easypost":
            return "-"
        return f"{obj.easypost_carrier} {obj.easypost_service}".strip() or "the cheapest offered"


@admin.register(Zone)
class ZoneAdmin(RateTableAdmin):
    list_display = ["name", "country_list"]

    @admin.display(description="countries")
    def country_list(self, obj):
        return ", ".join(obj.countries)


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    readonly_fields = ["sku", "quantity"]

    def get_queryset(self, request):
        """Seller staff see only their own lines of a parcel."""
        lines = super().get_queryset(request)
        if roles.is_seller_staff(request.user):
            lines = lines.filter(sku__in=selectors.staff_scope(request.user).skus())
        return lines

    def has_change_permission(self, request, obj=None):
        return False


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    readonly_fields = ["event_id", "status", "occurred_at", "location", "reason", "applied", "received_at"]
    fields = readonly_fields

    def has_change_permission(self, request, obj=None):
        return False


def _acting_for(request):
    """None for operations; the seller's scope for seller staff (the services check it)."""
    scope = selectors.staff_scope(request.user)
    return None if scope.everything else scope


def _run_each(modeladmin, request, objects, action, verb):
    done = 0
    for obj in objects:
        try:
            action(obj)
            done += 1
        except ApiError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.detail}", level=messages.WARNING)
    if done:
        modeladmin.message_user(request, f"{done} {verb}.")


@admin.register(Shipment)
class ShipmentAdmin(PersonalDataAccessMixin, SellerScopedMixin, ModelAdmin):
    personal_data_what = "shipment page"  # the destination address (docs/privacy.md)

    def personal_data_customer(self, shipment):
        return ShippingOrder.objects.filter(order_id=shipment.order_id).values_list("customer_id", flat=True).first()

    list_display = ["id", "order_id", "warehouse_code", "method", "carrier", "tracking_number", "status", "label_link"]
    list_filter = ["status", "carrier", "warehouse_code"]
    search_fields = ["tracking_number", "=order_id"]
    # The label through label_link only: it is drawn on first download (services/labels.py),
    # so the stored file the raw field would link to may not exist yet.
    exclude = ["label"]
    readonly_fields = [f.name for f in Shipment._meta.fields if f.name != "label"] + ["label_link"]
    inlines = [ShipmentLineInline, TrackingEventInline]
    actions = ["dispatch"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="label")
    def label_link(self, obj):
        url = reverse("shipping-shipment-label", kwargs={"pk": obj.pk})
        return format_html('<a href="{}">PDF</a>', url) if obj.label else "—"

    def scope_for_seller(self, request, queryset):
        skus = selectors.staff_scope(request.user).skus()
        return queryset.filter(Exists(ShipmentLine.objects.filter(shipment=OuterRef("pk"), sku__in=skus)))

    @admin.action(description="Dispatch selected shipments (hand over to the carrier)")
    def dispatch(self, request, queryset):
        scope = _acting_for(request)
        _run_each(
            self,
            request,
            queryset,
            lambda s: services.dispatch_shipment(s.pk, acting_for=scope),
            "shipment(s) dispatched",
        )


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "carrier", "event_id", "shipment", "status", "occurred_at", "applied"]
    list_filter = ["carrier", "status", "applied"]
    search_fields = ["event_id", "shipment__tracking_number"]
    readonly_fields = [f.name for f in TrackingEvent._meta.fields]


@admin.register(CarrierParcel)
class CarrierParcelAdmin(ReadOnlyAdmin):
    """Labels bought from a real carrier (EasyPost): its ids, the service and what it cost us."""

    list_display = ["created_at", "carrier", "tracking_number", "service", "rate_amount", "rate_currency"]
    list_filter = ["carrier", "service"]
    search_fields = ["tracking_number", "provider_shipment_id", "provider_tracker_id"]
    readonly_fields = [f.name for f in CarrierParcel._meta.fields]


@admin.register(Return)
class ReturnAdmin(SellerScopedMixin, ModelAdmin):
    list_display = ["return_id", "order_id", "status", "carrier", "tracking_number", "label_link", "created_at"]
    list_filter = ["status", "carrier"]
    search_fields = ["return_id", "tracking_number", "=order_id"]
    readonly_fields = [f.name for f in Return._meta.fields] + ["label_link"]
    actions = ["receive"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="label")
    def label_link(self, obj):
        return format_html('<a href="{}">PDF</a>', services.return_label_url(obj.return_id)) if obj.label else "—"

    def scope_for_seller(self, request, queryset):
        skus = selectors.staff_scope(request.user).skus()
        return queryset.filter(Exists(ReturnSku.objects.filter(ret=OuterRef("pk"), sku__in=skus)))

    @admin.action(description="Mark selected returns as received (restock and refund)")
    def receive(self, request, queryset):
        scope = _acting_for(request)

        def receive_one(ret):
            if scope is not None and not scope.owns_all(ret.skus):
                raise Forbidden(f"Return {ret.return_id} also holds other sellers' goods; operations receive it.")
            services.receive_return(ret.return_id)

        _run_each(self, request, queryset, receive_one, "return(s) received")
