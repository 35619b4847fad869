"""Operations view of orders and carts. Orders are read-only here: their status only
changes through the saga (events) or the customer's actions, never by hand."""

from django.contrib import admin, messages

from flowmart.common.errors import Conflict

from .models import Cart, CartItem, Order, OrderLine, OrderReturn, OrderShipment, OrderTimelineEntry
from .services import lifecycle


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "name", "quantity", "unit_price", "discount", "tax", "seller_name", "returned_quantity"]
    readonly_fields = fields


class ShipmentInline(ReadOnlyInline):
    model = OrderShipment
    fields = ["shipment_id", "status", "warehouse", "carrier", "tracking_number", "updated_at"]
    readonly_fields = fields


class ReturnInline(ReadOnlyInline):
    model = OrderReturn
    fields = ["return_id", "status", "lines", "reason", "tracking_number", "refund_amount", "created_at"]
    readonly_fields = fields


class TimelineInline(ReadOnlyInline):
    model = OrderTimelineEntry
    fields = ["at", "event"]
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer_email", "status", "cancellation_reason", "payment_status", "total", "currency"]
    list_display += ["created_at"]
    list_filter = ["status", "payment_status", "cancellation_reason", "shipping_method", "created_at"]
    search_fields = ["number", "customer_email"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, ShipmentInline, ReturnInline, TimelineInline]
    readonly_fields = [field.name for field in Order._meta.fields]
    actions = ["release_dispute_hold"]

    @admin.action(description="Release the dispute hold (dispute settled)")
    def release_dispute_hold(self, request, queryset):
        released = 0
        for order in queryset:
            try:
                lifecycle.release_dispute_hold(order.pk, staff=request.user.email)
                released += 1
            except Conflict as exc:
                self.message_user(request, f"{order}: {exc.detail}", messages.WARNING)
        if released:
            self.message_user(request, f"{released} order(s) released.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CartItemInline(admin.TabularInline):
    model = CartItem
    extra = 0
    fields = ["variant", "quantity", "added_at"]
    raw_id_fields = ["variant"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["id", "customer_id", "status", "shipping_country", "shipping_method", "updated_at"]
    list_filter = ["status"]
    search_fields = ["=customer_id", "=id"]
    inlines = [CartItemInline]
