"""Back office for reviews. Operations moderate: the queue (new, edited and reported reviews),
hide with a reason, unhide, or mark seen. A seller's staff see their own products' reviews
only (SellerScopedMixin) and write the seller's one reply. Every review text is shown escaped:
it is stored verbatim, as the customer typed it."""

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.utils.html import format_html, format_html_join
from unfold.admin import ModelAdmin

from flowmart.common import roles
from flowmart.common.admin import SellerScopedMixin

from . import selectors
from .models import CatalogProduct, Review
from .services import moderation, reviews

DECISIONS = [("", "— leave as it is —"), ("approve", "Seen: keep it up"), ("hide", "Hide"), ("unhide", "Unhide")]


class QueueFilter(admin.SimpleListFilter):
    title = "moderation queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting (new, edited or reported)"), ("reported", "Reported")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(needs_moderation=True)
        if self.value() == "reported":
            return queryset.filter(needs_moderation=True, reports__gt=0)
        return queryset


class ReviewForm(forms.ModelForm):
    """No model field is edited directly: the choices below go through the services."""

    decision = forms.ChoiceField(choices=DECISIONS, required=False)
    reason = forms.CharField(
        required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}), help_text="Required to hide."
    )
    reply = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Once: it cannot be changed.",
    )

    class Meta:
        model = Review
        fields: list[str] = []

    def clean(self):
        data = super().clean()
        if data.get("decision") == "hide" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the review is hidden.")
        return data


@admin.register(Review)
class ReviewAdmin(SellerScopedMixin, ModelAdmin):
    form = ReviewForm
    list_display = ["id", "product", "rating", "title", "status", "needs_moderation", "reports", "created_at"]
    list_filter = [QueueFilter, "status", "rating"]
    search_fields = ["title", "text"]
    ordering = ["-needs_moderation", "-reports", "created_at"]
    actions = ["approve_selected", "unhide_selected"]
    seller_staff_can = frozenset({"view", "change"})
    readonly_fields = [
        "product", "customer_id", "rating", "title", "text_shown", "status", "hidden_reason", "reports",
        "last_report_reason", "moderated_at", "moderated_by", "reply_shown", "created_at", "updated_at",
    ]  # fmt: skip

    def scope_for_seller(self, request, queryset):
        return queryset.filter(product_id__in=selectors.seller_products(request.user))

    def has_add_permission(self, request):
        return False

    def has_module_permission(self, request):
        return roles.is_operations(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return roles.is_operations(request.user) or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        """Operations moderate (the role's groups predate this context's permissions); seller staff reply."""
        return roles.is_operations(request.user) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # hide instead: the review and the reason stay on record

    def get_fieldsets(self, request, obj=None):
        review = ["product", "customer_id", "rating", "title", "text_shown", "created_at", "updated_at"]
        state = ["status", "hidden_reason", "reports", "last_report_reason", "moderated_at", "moderated_by"]
        if roles.is_seller_staff(request.user):
            reply = ["reply_shown"] if obj and obj.replied_at else ["reply"]
            return [(None, {"fields": review}), ("Seller reply", {"fields": reply})]
        return [
            (None, {"fields": review}),
            ("Moderation", {"fields": [*state, "decision", "reason"]}),
            ("Seller reply", {"fields": ["reply_shown"]}),
        ]

    def get_queryset(self, request):
        names = CatalogProduct.objects.filter(product_id=OuterRef("product_id")).values("product_name")[:1]
        return super().get_queryset(request).annotate(product_name=Subquery(names))

    @admin.display(description="product")
    def product(self, review):
        return f"{getattr(review, 'product_name', None) or 'product'} (#{review.product_id})"

    @admin.display(description="text")
    def text_shown(self, review):
        return format_html_join("", "<p>{}</p>", ((para,) for para in review.text.splitlines() if para.strip()))

    @admin.display(description="reply")
    def reply_shown(self, review):
        if review.replied_at is None:
            return "—"
        return format_html("<p>{}</p><small>{}</small>", review.reply_text, review.replied_at)

    def save_model(self, request, obj, form, change):
        """Nothing is saved from the form itself: each choice is a service call."""
        data, who = form.cleaned_data, request.user.email
        if roles.is_seller_staff(request.user):
            if data.get("reply") and obj.replied_at is None:
                reviews.reply(obj, text=data["reply"], user_id=request.user.id)
            return
        decision = data.get("decision")
        if decision == "approve":
            moderation.approve(obj, who)
        elif decision == "hide":
            moderation.hide(obj, who, data["reason"])
        elif decision == "unhide":
            moderation.unhide(obj, who)

    @admin.action(description="Seen: keep the selected reviews up")
    def approve_selected(self, request, queryset):
        if roles.is_seller_staff(request.user):
            return
        for review in queryset:
            moderation.approve(review, request.user.email)
        self.message_user(request, f"{queryset.count()} review(s) marked as seen.", messages.SUCCESS)

    @admin.action(description="Unhide the selected reviews")
    def unhide_selected(self, request, queryset):
        if roles.is_seller_staff(request.user):
            return
        hidden = list(queryset.filter(status=Review.Status.HIDDEN))
        for review in hidden:
            moderation.unhide(review, request.user.email)
        self.message_user(request, f"{len(hidden)} review(s) visible again.", messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if roles.is_seller_staff(request.user):
            return {}
        return actions
