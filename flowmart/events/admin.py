from django.contrib import admin, messages
from unfold.admin import ModelAdmin, TabularInline

from flowmart.common.admin import ReadOnlyAdmin

from . import dashboard, relay  # noqa: F401 - dashboard: registers its panels
from .models import Delivery, InboxRecord, OutboxEvent

# The admin index starts with the dispatcher's backlog (a stalled dispatcher is noticed in minutes).
admin.site.index_template = "admin/events/index.html"


class DeliveryInline(TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ["subscriber", "status", "attempts", "next_attempt_at", "delivered_at", "last_error"]
    fields = readonly_fields


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    """The audit trail: read-only, searchable by correlation id."""

    list_display = ["id", "name", "publisher", "correlation_id", "occurred_at"]
    list_filter = ["name", "publisher"]
    search_fields = ["=correlation_id", "=event_id"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ModelAdmin):
    list_display = ["id", "event_name", "subscriber", "status", "attempts", "next_attempt_at", "short_error"]
    list_filter = ["status", "subscriber"]
    search_fields = ["=event__event_id", "=event__correlation_id", "subscriber"]
    list_select_related = ["event"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["replay_dead"]

    @admin.display(description="event")
    def event_name(self, obj):
        return obj.event.name

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description="Replay selected dead deliveries")
    def replay_dead(self, request, queryset):
        count = relay.replay(queryset)
        self.message_user(request, f"{count} dead deliveries queued again.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InboxRecord)
class InboxRecordAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "subscriber", "processed_at"]
    search_fields = ["=event_id", "subscriber"]
