"""Customers and staff users. A customer's page is where operations start: their addresses
(inline, country by name) and links to their orders, payments, messages and subscriptions,
each in the context that owns them (contexts never read each other's tables)."""

import json

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from flowmart.common import privacy as shared_privacy
from flowmart.common.admin import PersonalDataAccessMixin, ReadOnlyAdmin
from flowmart.common.countries import country_name

from . import privacy, services
from .models import Address, ApiToken, StaffAccessRecord, User

# (admin URL name, query on the customer's id, label): what other contexts keep per customer.
CUSTOMER_RECORDS = [
    ("admin:orders_order_changelist", "customer_id", "orders"),
    ("admin:payments_payment_changelist", "customer_id", "payments"),
    ("admin:notifications_message_changelist", "customer_id", "messages sent"),
    ("admin:subscriptions_subscription_changelist", "customer_id", "subscriptions"),
]


class AddressInline(TabularInline):
    model = Address
    extra = 0
    fields = ["name", "line1", "line2", "city", "postal_code", "country_name", "region", "phone"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True  # edits go through AddressAdmin, which publishes them

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="country")
    def country_name(self, address):
        return country_name(address.country)


@admin.register(User)
class UserAdmin(PersonalDataAccessMixin, BaseUserAdmin):
    personal_data_what = "customer page"
    actions = ["export_personal_data"]
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "date_joined"]
    list_filter = ["groups", "is_staff", "is_superuser", "is_active"]  # groups: the staff roles
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "phone", "locale")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
        ("Orders, payments, messages, subscriptions", {"fields": ("message_history",)}),
    )
    readonly_fields = ["message_history"]
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    inlines = [AddressInline]

    def save_model(self, request, obj, form, change):
        services.save_user(obj)

    def personal_data_customer(self, obj):
        return obj.pk

    @admin.action(description="Export personal data (JSON)")
    def export_personal_data(self, request, queryset):
        """What the customer would get from GET /api/v1/me/export/, for each selected account;
        each export is recorded as a staff access."""
        exports = []
        for user in queryset.order_by("pk"):
            shared_privacy.record_staff_access(
                staff=request.user,
                customer_id=user.pk,
                context="customers",
                what="export",
                object_ref=f"user {user.pk}",
            )
            exports.append(privacy.full_export(user))
        response = HttpResponse(json.dumps(exports, cls=DjangoJSONEncoder, indent=2), content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="personal-data-export.json"'
        return response

    @admin.display(description="their records")
    def message_history(self, obj):
        """Links to this customer's orders, payments, messages (every email, SMS and push) and
        subscriptions, in the admin of the context that keeps them (left out if not installed)."""
        links = []
        for name, field, label in CUSTOMER_RECORDS:
            try:
                links.append(format_html('<a href="{}?{}={}">{}</a>', reverse(name), field, obj.pk, label))
            except NoReverseMatch:
                continue
        return format_html(" · ".join(["{}"] * len(links)), *links) if links else "—"


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    list_display = ["user", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at"]
    readonly_fields = ["key_hash"]
    search_fields = ["user__email"]
    actions = ["revoke"]

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.")


@admin.register(Address)
class AddressAdmin(PersonalDataAccessMixin, ModelAdmin):
    """Address edits by staff publish like the customer's own, so projections stay right."""

    personal_data_what = "address page"

    def personal_data_customer(self, obj):
        return obj.customer_id

    list_display = ["customer", "name", "city", "country_name"]

    @admin.display(description="country", ordering="country")
    def country_name(self, address):
        return country_name(address.country)

    list_filter = ["country"]
    search_fields = ["customer__email", "name", "city", "postal_code"]
    raw_id_fields = ["customer"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        services.save_address(obj)

    def delete_model(self, request, obj):
        services.delete_address(obj)

    def delete_queryset(self, request, queryset):
        for address in queryset:
            services.delete_address(address)


@admin.register(StaffAccessRecord)
class StaffAccessRecordAdmin(ReadOnlyAdmin):
    """Who looked at whose personal data, for superusers only (the record is itself personal)."""

    list_display = ["at", "staff_email", "customer_id", "context", "what", "object_ref"]
    list_filter = ["context", "what"]
    search_fields = ["staff_email", "=customer_id", "object_ref"]
    date_hierarchy = "at"

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
