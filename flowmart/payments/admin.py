"""Operations' view of payments: payments with refresh/authenticate actions, the fraud
review queue (approve/reject), refunds, the webhook inbox and the read-only ledger."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import TabularInline

from flowmart.common import display
from flowmart.common.admin import PersonalDataAccessMixin, ReadOnlyAdmin
from flowmart.common.errors import Conflict

from . import admin_settlements, dashboard, selectors  # noqa: F401 - registers its screens and panels
from .admin_review import ReviewPageMixin
from .gateways import GatewayError
from .models import (
    Dispute,
    DummyIntent,
    FraudAssessment,
    LedgerEntry,
    Payment,
    PaymentAttempt,
    PaymentUnderReview,
    Refund,
    StripeWebhookEvent,
)
from .services import charging, review, webhooks


class AttemptInline(TabularInline):
    model = PaymentAttempt
    extra = 0
    can_delete = False
    fields = [
        "idempotency_key",
        "purpose",
        "amount",
        "status",
        "provider_intent_id",
        "failure_code",
        "captured_amount",
        "refunded_amount",
    ]
    readonly_fields = fields


class RefundInline(TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["reference", "part", "amount", "reason", "source", "provider_refund_id", "created_at"]
    readonly_fields = fields


class AssessmentInline(TabularInline):
    model = FraudAssessment
    extra = 0
    can_delete = False
    fields = ["score", "outcome", "reasons", "review_decision", "decided_by", "decided_at", "decision_reason"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(PersonalDataAccessMixin, ReadOnlyAdmin):
    personal_data_what = "payment page"  # the email and the client IP (docs/privacy.md)

    def personal_data_customer(self, payment):
        return payment.customer_id

    list_display = [
        "id",
        "order_id",
        "customer_id",
        "amount_money",
        "provider",
        "status_badge",
        "failure_code",
        "captured_money",
        "refunded_money",
        "created_at",
    ]
    show_full_result_count = False

    @admin.display(description="amount", ordering="amount")
    def amount_money(self, obj):
        return display.money(obj.amount, obj.currency)

    @admin.display(description="captured")
    def captured_money(self, obj):
        return display.money(obj.captured_amount, obj.currency)

    @admin.display(description="refunded")
    def refunded_money(self, obj):
        return display.money(obj.refunded_amount, obj.currency)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return display.badge(obj.status)

    list_filter = ["status", "provider", "failure_code"]
    search_fields = ["order_id", "order_number", "customer_email", "attempts__provider_intent_id"]
    inlines = [AttemptInline, RefundInline, AssessmentInline]
    actions = ["refresh_from_provider", "simulate_customer_authentication"]

    @admin.action(description="Refresh open attempts from the provider")
    def refresh_from_provider(self, request, queryset):
        changed = sum(charging.refresh_from_provider(p.pk) for p in queryset)
        self.message_user(request, f"{changed} attempt(s) settled")

    @admin.action(description="Dummy provider: simulate customer authentication (3-D Secure)")
    def simulate_customer_authentication(self, request, queryset):
        done = sum(charging.simulate_customer_authentication(p.pk) for p in queryset)
        self.message_user(request, f"{done} payment(s) authenticated")


@admin.register(PaymentUnderReview)
class FraudReviewQueueAdmin(ReviewPageMixin, PaymentAdmin):
    """Payments on hold for fraud review, with the score and the rules that fired; the review
    page asks a reason; approve charges, reject fails the payment as fraudulent."""

    actions = ["approve", "reject"]
    list_display = ["id", "order_id", "customer_email", "amount_money", "score", "rules", "created_at", "review"]

    def get_queryset(self, request):
        return selectors.review_queue().prefetch_related("assessments")

    def _assessment(self, payment):
        return max(payment.assessments.all(), key=lambda a: a.pk, default=None)

    @admin.display(description="score")
    def score(self, payment):
        assessment = self._assessment(payment)
        return assessment.score if assessment else "—"

    @admin.display(description="rules that fired")
    def rules(self, payment):
        assessment = self._assessment(payment)
        return ", ".join(assessment.reasons) if assessment and assessment.reasons else "—"

    @admin.display(description="")
    def review(self, payment):
        return format_html('<a href="{}">Review…</a>', reverse("admin:payments_payment_review", args=[payment.pk]))

    def _decide(self, request, queryset, decide, verb):
        for payment in queryset:
            try:
                decide(payment.pk, request.user.get_username(), reason="bulk action from the review queue")
                self.message_user(request, f"payment {payment.pk} {verb}")
            except Conflict as exc:
                self.message_user(request, str(exc.detail), level=messages.WARNING)
            except GatewayError as exc:
                self.message_user(request, f"payment {payment.pk}: provider error, try again ({exc})", messages.ERROR)

    @admin.action(description="Approve: charge the payment")
    def approve(self, request, queryset):
        self._decide(request, queryset, review.approve, "approved")

    @admin.action(description="Reject as fraudulent")
    def reject(self, request, queryset):
        self._decide(request, queryset, review.reject, "rejected")


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["id", "payment", "reference", "part", "amount_money", "reason", "source", "created_at"]

    @admin.display(description="amount", ordering="amount")
    def amount_money(self, obj):
        return display.money(obj.amount, obj.currency)

    list_filter = ["reason", "source"]
    search_fields = ["reference", "provider_refund_id", "payment__order_id"]


@admin.register(FraudAssessment)
class FraudAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "payment", "score", "outcome", "reasons", "review_decision", "decided_by", "decided_at"]
    list_display += ["decision_reason"]
    list_filter = ["outcome", "review_decision"]


@admin.register(StripeWebhookEvent)
class StripeWebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["stripe_event_id", "type", "received_at", "processed_at", "attempts", "outcome"]
    list_filter = ["type"]
    search_fields = ["stripe_event_id"]
    actions = ["process_now"]

    @admin.action(description="Process now (idempotent)")
    def process_now(self, request, queryset):
        for row in queryset:
            webhooks.process(row.pk)
        self.message_user(request, f"{queryset.count()} event(s) processed")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "transaction_id",
        "kind",
        "account",
        "debit_money",
        "credit_money",
        "order_id",
        "payment",
        "created_at",
    ]
    list_filter = ["kind", "account", "currency"]
    search_fields = ["order_id", "transaction_id", "reference"]

    @admin.display(description="debit", ordering="debit")
    def debit_money(self, entry):
        return display.money(entry.debit, entry.currency) if entry.debit else ""

    @admin.display(description="credit", ordering="credit")
    def credit_money(self, entry):
        return display.money(entry.credit, entry.currency) if entry.credit else ""


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["provider_dispute_id", "payment", "amount_money", "reason", "created_at"]

    @admin.display(description="amount", ordering="amount")
    def amount_money(self, obj):
        return display.money(obj.amount, obj.currency)


@admin.register(DummyIntent)
class DummyIntentAdmin(ReadOnlyAdmin):
    list_display = ["intent_id", "amount", "currency", "payment_method", "status", "amount_received", "amount_refunded"]
