"""Operations' view of notifications: every message with its status, error or suppression
reason; a customer's whole history (the customer column links to it); resend. Only
operations staff see these screens (flowmart.common.roles)."""

from django.contrib import admin, messages
from django.utils.html import format_html

from flowmart.common.admin import PersonalDataAccessMixin, ReadOnlyAdmin
from flowmart.common.roles import is_operations

from .models import BackInStockRequest, Message, Preference, PushSubscription, StockAlert
from .services import sending


class OperationsOnly(ReadOnlyAdmin):
    def has_module_permission(self, request):
        return is_operations(request.user)

    def has_view_permission(self, request, obj=None):
        return is_operations(request.user)


@admin.register(Message)
class MessageAdmin(PersonalDataAccessMixin, OperationsOnly):
    personal_data_what = "message page"  # the recipient and what was written (docs/privacy.md)

    def personal_data_customer(self, message):
        return message.customer_id

    list_display = [
        "id",
        "created_at",
        "message_type",
        "channel",
        "customer",
        "to",
        "status",
        "attempts",
        "sent_at",
        "problem",
    ]
    list_filter = ["status", "channel", "audience", "category", "message_type"]
    search_fields = ["=customer_id", "to", "=source_key", "=correlation_id", "subject"]
    readonly_fields = [f.name for f in Message._meta.fields]
    date_hierarchy = "created_at"
    actions = ["resend"]

    @admin.display(description="customer", ordering="customer_id")
    def customer(self, obj):
        if obj.customer_id is None:
            return obj.recipient_key
        return format_html('<a href="?customer_id={}">customer {} · history</a>', obj.customer_id, obj.customer_id)

    @admin.display(description="error / suppressed because")
    def problem(self, obj):
        return (obj.error or obj.suppressed_reason)[:120]

    @admin.action(description="Resend selected messages (a new message each)")
    def resend(self, request, queryset):
        created = sending.resend(queryset, requested_by=request.user.email)
        skipped = queryset.count() - len(created)
        note = f" {skipped} still pending or sending were left alone." if skipped else ""
        self.message_user(request, f"{len(created)} message(s) queued again.{note}", messages.SUCCESS)


@admin.register(PushSubscription)
class PushSubscriptionAdmin(OperationsOnly):
    list_display = ["id", "customer_id", "active", "created_at", "gone_at", "user_agent"]
    list_filter = ["active"]
    search_fields = ["=customer_id"]
    exclude = ["p256dh", "auth"]


@admin.register(Preference)
class PreferenceAdmin(OperationsOnly):
    list_display = ["customer_id", "email", "sms", "push", "categories", "updated_at"]
    search_fields = ["=customer_id"]


@admin.register(BackInStockRequest)
class BackInStockRequestAdmin(OperationsOnly):
    list_display = ["id", "customer_id", "sku", "status", "created_at", "notified_at"]
    list_filter = ["status"]
    search_fields = ["=customer_id", "sku"]


@admin.register(StockAlert)
class StockAlertAdmin(OperationsOnly):
    list_display = ["id", "kind", "sku", "warehouse_code", "available", "occurred_at", "digest_key"]
    list_filter = ["kind"]
    search_fields = ["sku", "digest_key"]
