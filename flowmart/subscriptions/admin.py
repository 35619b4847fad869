"""Subscriptions in the admin. Operations see and manage everything (plans; pause, resume
and cancel through the services, so each action publishes like the API); a seller's staff
see, read-only, the subscriptions and plans of their sellers' products (SellerStaff,
kept from SellerStaffChanged), cut by the back office's one scoping rule (SellerScopedMixin:
another seller's object is 404). Every renewal's billing attempts (dunning included) are
listed with their outcome.

Operations' pause, resume and cancel ask for a reason on an intermediate page and leave a
StaffAction (who, when, why) through services.staff, listed on the subscription's page."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from unfold.admin import ModelAdmin, TabularInline

from flowmart.common.admin import PersonalDataAccessMixin, ReadOnlyAdmin, SellerScopedMixin
from flowmart.common.errors import ApiError
from flowmart.common.roles import is_operations

from .models import Plan, Renewal, RenewalAttempt, StaffAction, Subscription, Variant
from .services import staff


def seller_ids(request) -> list[int]:
    if not hasattr(request, "_subscriptions_seller_ids"):
        request._subscriptions_seller_ids = SellerStaffIds.of(request.user)
    return request._subscriptions_seller_ids


class SellerStaffIds:
    @staticmethod
    def of(user) -> list[int]:
        from .models import SellerStaff

        return SellerStaff.seller_ids_of(user)


class OperationsOrSellers(SellerScopedMixin):
    """Operations see every row (their role, not Django permissions, grants it); seller staff
    the rows of their sellers' products (`seller_path`)."""

    seller_path = "plan__seller_id"

    def scope_for_seller(self, request, queryset):
        return queryset.filter(**{f"{self.seller_path}__in": seller_ids(request)})

    def has_module_permission(self, request):
        return is_operations(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_operations(request.user) or super().has_view_permission(request, obj)


class StaffScoped(OperationsOrSellers, ReadOnlyAdmin):
    """Read-only screens: subscriptions, renewals and attempts change only through services."""


class AttemptInline(TabularInline):
    model = RenewalAttempt
    fields = ["number", "status", "failure_code", "batch", "created_at", "settled_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RenewalInline(TabularInline):
    model = Renewal
    fields = ["cycle", "status", "due_at", "attempts", "next_retry_at", "failure_code", "reason", "order_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-cycle"]

    def has_add_permission(self, request, obj=None):
        return False


class StaffActionInline(TabularInline):
    """Who paused, resumed or cancelled it from the back office, when and why."""

    model = StaffAction
    verbose_name_plural = "staff actions (who, when, why)"
    fields = ["at", "staff", "kind", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 2}), help_text="kept on each subscription"
    )


@admin.register(Subscription)
class SubscriptionAdmin(PersonalDataAccessMixin, StaffScoped):
    personal_data_what = "subscription page"  # the email and the address (docs/privacy.md)

    def personal_data_customer(self, sub):
        return sub.customer_id

    list_display = ["id", "customer_email", "plan", "quantity", "status", "next_billing_at", "cancellation_reason"]
    list_filter = ["status", "plan__interval"]
    search_fields = ["=id", "=customer_id", "customer_email", "plan__sku"]
    readonly_fields = [f.name for f in Subscription._meta.fields]
    inlines = [StaffActionInline, RenewalInline]
    actions = ["pause", "resume", "cancel"]

    def get_actions(self, request):
        return super().get_actions(request) if is_operations(request.user) else {}

    def get_inlines(self, request, obj):
        return self.inlines if is_operations(request.user) else [RenewalInline]

    def _with_reason(self, request, queryset, kind: str, title: str):
        """The intermediate page asking why; on its submit, each subscription is acted on
        through services.staff (its own transaction and StaffAction)."""
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._each(request, queryset, kind, form.cleaned_data["reason"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subscriptions": list(queryset.select_related("plan")),
            "form": form,
            "action": kind,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/subscriptions/subscription/staff_action.html", context)

    def _each(self, request, queryset, kind: str, reason: str) -> None:
        done = 0
        for sub in queryset:
            try:
                staff.act(sub.pk, kind, staff=request.user.email, reason=reason)
                done += 1
            except ApiError as exc:
                self.message_user(request, f"subscription {sub.pk}: {exc.detail}", messages.WARNING)
        verb = {"pause": "paused", "resume": "resumed", "cancel": "cancelled"}[kind]
        self.message_user(request, f"{done} subscription(s) {verb}: {reason}")

    @admin.action(description="Pause selected subscriptions…")
    def pause(self, request, queryset):
        return self._with_reason(request, queryset, "pause", "Pause subscriptions")

    @admin.action(description="Resume selected subscriptions…")
    def resume(self, request, queryset):
        return self._with_reason(request, queryset, "resume", "Resume subscriptions")

    @admin.action(description="Cancel selected subscriptions… (reason: operations)")
    def cancel(self, request, queryset):
        return self._with_reason(request, queryset, "cancel", "Cancel subscriptions")


@admin.register(Renewal)
class RenewalAdmin(StaffScoped):
    seller_path = "subscription__plan__seller_id"
    list_display = ["subscription", "cycle", "status", "due_at", "attempts", "next_retry_at", "failure_code", "reason"]
    list_filter = ["status", "failure_code"]
    search_fields = ["=subscription__id", "=order_id"]
    readonly_fields = [f.name for f in Renewal._meta.fields]
    inlines = [AttemptInline]


@admin.register(RenewalAttempt)
class RenewalAttemptAdmin(StaffScoped):
    """The dunning record: every attempt, its order and why it failed."""

    seller_path = "renewal__subscription__plan__seller_id"
    list_display = ["renewal", "number", "status", "failure_code", "batch", "created_at", "settled_at"]
    list_filter = ["status", "failure_code"]
    search_fields = ["=renewal__subscription__id", "=batch__order_id"]


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ["name", "sku", "interval", "interval_count", "discount_percent", "min_cycles", "active"]

    def clean_sku(self):
        sku = self.cleaned_data["sku"]
        if not Variant.objects.filter(sku=sku).exists():
            raise forms.ValidationError("No variant with this SKU is known to subscriptions.")
        return sku


@admin.register(Plan)
class PlanAdmin(OperationsOrSellers, ModelAdmin):
    """Operations manage plans; seller staff see their products' plans."""

    form = PlanForm
    seller_path = "seller_id"

    list_display = ["name", "sku", "interval", "interval_count", "discount_percent", "min_cycles", "active"]
    list_filter = ["active", "interval"]
    search_fields = ["name", "sku"]

    def has_add_permission(self, request):
        return is_operations(request.user)

    def has_change_permission(self, request, obj=None):
        return is_operations(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        variant = Variant.objects.get(sku=obj.sku)
        obj.product_id, obj.seller_id = variant.product_id, variant.seller_id
        super().save_model(request, obj, form, change)
