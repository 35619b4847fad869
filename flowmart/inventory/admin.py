"""Inventory in the admin, for operations (every SKU) and a seller's staff (their sellers'
SKUs, from inventory's own SellerSku/SellerStaff projections). Stock quantities are never
edited directly: the stock form receives or adjusts through the services, so every change
is a ledger line plus an InventoryAdjusted. Movements are read-only (append-only ledger);
reservations are read-only (orders, payments and shipping drive them through events)."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from unfold.admin import ModelAdmin

from flowmart.common.admin import ReadOnlyAdmin, ScopedImportExport, SellerScopedMixin
from flowmart.common.countries import country_name

from . import dashboard, selectors, services  # noqa: F401 - dashboard: registers its panels
from .models import Reservation, StockLevel, StockMovement, Warehouse
from .resources import StockResource


class InventoryScoped(SellerScopedMixin):
    """Seller staff see the rows of their sellers' SKUs."""

    def scope_for_seller(self, request, queryset):
        return queryset.filter(sku__in=selectors.staff_scope(request.user).skus())


@admin.register(Warehouse)
class WarehouseAdmin(ModelAdmin):
    list_display = ["code", "name", "country_name", "latitude", "longitude"]

    @admin.display(description="country", ordering="country")
    def country_name(self, warehouse):
        return country_name(warehouse.country)

    search_fields = ["code", "name"]
    list_filter = ["country"]

    def has_delete_permission(self, request, obj=None):
        return False  # ledger lines and reservations point at it forever


class StockLevelForm(forms.ModelForm):
    """Receive (positive) or adjust (signed, reason required) instead of typing numbers."""

    receive_quantity = forms.IntegerField(min_value=1, required=False, help_text="units that arrived")
    adjust_quantity = forms.IntegerField(required=False, help_text="signed correction, e.g. -2 for damaged units")
    reason = forms.CharField(max_length=255, required=False, help_text="required for an adjustment")
    request = None  # set by StockLevelAdmin.get_form

    class Meta:
        model = StockLevel
        fields = ["sku", "warehouse", "low_stock_threshold"]

    def clean_sku(self):
        sku = self.cleaned_data["sku"]
        if self.request is not None and not selectors.staff_scope(self.request.user).owns_all([sku]):
            raise forms.ValidationError("Not one of your sellers' SKUs.")
        return sku

    def clean(self):
        data = super().clean()
        receive, adjust = data.get("receive_quantity"), data.get("adjust_quantity")
        if receive and adjust:
            raise forms.ValidationError("Receive or adjust, not both at once.")
        if adjust and not (data.get("reason") or "").strip():
            self.add_error("reason", "An adjustment needs a reason.")
        if adjust and self.instance.pk and self.instance.available + adjust < 0:
            self.add_error("adjust_quantity", f"Only {self.instance.available} unreserved units can be taken away.")
        if adjust and adjust < 0 and not self.instance.pk:
            self.add_error("adjust_quantity", "Nothing to take away from a new stock row.")
        return data


@admin.register(StockLevel)
class StockLevelAdmin(ScopedImportExport, InventoryScoped, ModelAdmin):
    form = StockLevelForm
    resource_classes = [StockResource]
    list_display = ["sku", "warehouse", "on_hand", "reserved", "available", "low_stock_threshold", "updated_at"]
    list_filter = ["warehouse"]
    search_fields = ["sku"]
    list_select_related = ["warehouse"]
    readonly_fields = ["on_hand", "reserved", "available", "updated_at", "open_reservations", "ledger"]
    seller_staff_can = frozenset({"view", "add", "change"})

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request = request  # the SKU must be one the user may stock
        return form

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "sku", "warehouse"] if obj else self.readonly_fields[:4]

    @admin.display(description="open reservations")
    def open_reservations(self, obj):
        rows = Reservation.objects.filter(sku=obj.sku, warehouse=obj.warehouse, status=Reservation.Status.OPEN)
        rows = rows.order_by("-created_at")[:20]
        lines = format_html_join("", "<li>order {} — {} unit(s), expires {}</li>", _reservation_rows(rows))
        return lines or "—"

    @admin.display(description="ledger (latest 20 movements)")
    def ledger(self, obj):
        movements = StockMovement.objects.filter(sku=obj.sku, warehouse=obj.warehouse).order_by("-id")[:20]
        rows = [
            (f"{m.created_at:%Y-%m-%d %H:%M}", m.kind, f"{m.on_hand_delta:+d}", m.on_hand_after)
            + (f"{m.reserved_delta:+d}", m.reserved_after, m.reason)
            for m in movements
        ]
        return format_html_join("", "<li>{} {}: on hand {} → {}, reserved {} → {} ({})</li>", rows) or "—"

    @admin.display(description="available")
    def available(self, obj):
        return obj.available if obj.pk else 0

    def save_model(self, request, obj, form, change):
        data, reference = form.cleaned_data, f"user:{request.user.pk}"
        reason = (data.get("reason") or "").strip()
        if data.get("receive_quantity"):
            level = services.receive_stock(
                sku=obj.sku,
                warehouse_code=obj.warehouse.code,
                quantity=data["receive_quantity"],
                reason=reason or "received in admin",
                reference=reference,
            )
        elif data.get("adjust_quantity"):
            level = services.adjust_stock(
                sku=obj.sku,
                warehouse_code=obj.warehouse.code,
                quantity=data["adjust_quantity"],
                reason=reason,
                reference=reference,
            )
        else:
            level = StockLevel.objects.filter(sku=obj.sku, warehouse=obj.warehouse).first()
            if level is None:
                obj.save()
                return
        obj.pk, obj.on_hand, obj.reserved = level.pk, level.on_hand, level.reserved
        StockLevel.objects.filter(pk=level.pk).update(low_stock_threshold=obj.low_stock_threshold)

    def has_delete_permission(self, request, obj=None):
        return False


def _reservation_rows(rows):
    for r in rows:
        yield r.order_id, r.quantity, f"{r.expires_at:%Y-%m-%d %H:%M}" if r.expires_at else "never"


@admin.register(StockMovement)
class StockMovementAdmin(InventoryScoped, ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "kind",
        "sku",
        "warehouse",
        "on_hand_delta",
        "reserved_delta",
        "on_hand_after",
        "reserved_after",
        "reason",
        "reference",
    ]
    list_filter = ["kind", "warehouse"]
    search_fields = ["sku", "=reference", "=order_id"]
    list_select_related = ["warehouse"]


@admin.register(Reservation)
class ReservationAdmin(InventoryScoped, ReadOnlyAdmin):
    list_display = ["order_id", "sku", "warehouse", "quantity", "status", "expires_at", "amendment_id", "created_at"]
    list_filter = ["status", "warehouse"]
    search_fields = ["=order_id", "=sku"]
    list_select_related = ["warehouse"]
