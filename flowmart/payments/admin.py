"""Operations' view of payments: payments with refresh/authenticate actions, the fraud
review queue (approve/reject), refunds, the webhook inbox and the read-only ledger."""

from django.contrib import admin, messages

from flowmart.common.admin import ReadOnlyAdmin
from flowmart.common.errors import Conflict

from . import selectors
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


class AttemptInline(admin.TabularInline):
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


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["reference", "part", "amount", "reason", "source", "provider_refund_id", "created_at"]
    readonly_fields = fields


class AssessmentInline(admin.TabularInline):
    model = FraudAssessment
    extra = 0
    can_delete = False
    fields = ["score", "outcome", "reasons", "review_decision", "decided_by", "decided_at"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "order_id",
        "customer_id",
        "amount",
        "currency",
        "provider",
        "status",
        "failure_code",
        "captured_amount",
        "refunded_amount",
        "created_at",
    ]
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
class FraudReviewQueueAdmin(PaymentAdmin):
    """Payments on hold for fraud review; approve charges, reject fails them as fraudulent."""

    actions = ["approve", "reject"]

    def get_queryset(self, request):
        return selectors.review_queue()

    def _decide(self, request, queryset, decide, verb):
        for payment in queryset:
            try:
                decide(payment.pk, request.user.get_username())
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
    list_display = ["id", "payment", "reference", "part", "amount", "currency", "reason", "source", "created_at"]
    list_filter = ["reason", "source"]
    search_fields = ["reference", "provider_refund_id", "payment__order_id"]


@admin.register(FraudAssessment)
class FraudAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "payment", "score", "outcome", "reasons", "review_decision", "decided_by", "decided_at"]
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
        "debit",
        "credit",
        "currency",
        "order_id",
        "payment",
        "created_at",
    ]
    list_filter = ["kind", "account"]
    search_fields = ["order_id", "transaction_id", "reference"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["provider_dispute_id", "payment", "amount", "currency", "reason", "created_at"]


@admin.register(DummyIntent)
class DummyIntentAdmin(ReadOnlyAdmin):
    list_display = ["intent_id", "amount", "currency", "payment_method", "status", "amount_received", "amount_refunded"]
