"""Reads of the payments context (admin, commands and services share them)."""

from django.db.models import QuerySet

from .models import Payment, PaymentAttempt


def payment_for_order(order_id: int) -> Payment | None:
    return Payment.objects.filter(order_id=order_id).first()


def review_queue() -> QuerySet[Payment]:
    """Payments held by fraud screening, oldest first: the order operations should work them."""
    return Payment.objects.filter(status=Payment.Status.ON_HOLD).order_by("created_at")


def open_attempts(payment_id: int) -> QuerySet[PaymentAttempt]:
    """Attempts the provider may still move (they have an intent and no final state)."""
    return (
        PaymentAttempt.objects.filter(payment_id=payment_id)
        .exclude(provider_intent_id=None)
        .exclude(status__in=PaymentAttempt.TERMINAL)
    )
