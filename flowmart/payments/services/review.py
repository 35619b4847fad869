"""The fraud review queue: operations approve (the charge proceeds) or reject
(PaymentProcessed failed/fraudulent → orders cancels and stock is released)."""

from django.db import transaction
from django.utils import timezone

from flowmart.common.correlation import correlation
from flowmart.common.errors import Conflict

from ..gateways import ProviderUnavailable, get_gateway
from ..models import FailureCode, FraudAssessment, OrderSignal, Payment
from . import charging


def _held(payment_id: int) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status != Payment.Status.ON_HOLD:
        raise Conflict(f"payment {payment_id} is {payment.status}, not on hold for review")
    return payment


def _decide(payment: Payment, decision: str, staff: str, reason: str) -> None:
    """Who decided, when and why, kept on the assessment the reviewer saw."""
    assessment = payment.assessments.order_by("-id").first()
    if assessment is not None:
        assessment.review_decision, assessment.decided_by, assessment.decided_at = decision, staff, timezone.now()
        assessment.decision_reason = reason
        assessment.save(update_fields=["review_decision", "decided_by", "decided_at", "decision_reason"])


def approve(payment_id: int, staff: str, reason: str = "") -> Payment:
    with transaction.atomic():
        payment = _held(payment_id)
        with correlation(payment.correlation_id or None):
            _decide(payment, FraudAssessment.Decision.APPROVED, staff, reason)
            cancelled = OrderSignal.objects.filter(
                order_id=payment.order_id, amendment_id="", kind=OrderSignal.Kind.CANCELLED
            ).exists()
            if cancelled:
                payment.status = Payment.Status.CANCELLED
                payment.save(update_fields=["status", "updated_at"])
                return payment
            try:
                gateway = get_gateway(payment.provider)
            except ProviderUnavailable:
                charging.fail_payment(payment, FailureCode.PROCESSING_ERROR)
                return payment
            charging.charge(payment, gateway)
        payment.refresh_from_db()
        return payment


def reject(payment_id: int, staff: str, reason: str = "") -> Payment:
    with transaction.atomic():
        payment = _held(payment_id)
        with correlation(payment.correlation_id or None):
            _decide(payment, FraudAssessment.Decision.REJECTED, staff, reason)
            charging.fail_payment(payment, FailureCode.FRAUDULENT)
        return payment
