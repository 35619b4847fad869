"""Refunds and disputes. A refund is idempotent on (payment, reference): the asker's
id (a return id, an amendment id, "order-cancelled-…") is its identity. Refunds made
at the provider outside FlowMart (seen in charge.refunded webhooks) are recorded too,
so our books follow the money wherever it moved."""

import logging
from decimal import Decimal

from django.db import transaction

from flowmart.common.money import Money
from flowmart.contracts.payments import PaymentDisputed, PaymentRefunded
from flowmart.events import publish

from .. import ledger
from ..gateways import get_gateway
from ..models import Dispute, Payment, PaymentAttempt, Refund

logger = logging.getLogger("flowmart.payments")
S = Payment.Status


def refund_payment(payment_id: int, amount: Decimal, reference: str, reason: str) -> list[Refund]:
    """Refund up to `amount` (capped at what is refundable), newest charge first."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        existing = list(payment.refunds.filter(reference=reference))
        if existing:
            return existing
        amount = min(amount, payment.refundable)
        if amount <= 0:
            logger.info("refund %s on payment %s: nothing refundable", reference, payment.pk)
            return []
        gateway = get_gateway(payment.provider)
        refunds, remaining = [], amount
        attempts = payment.attempts.filter(status=PaymentAttempt.Status.SUCCEEDED).order_by("-id")
        for part, attempt in enumerate(attempts, start=1):
            take = min(remaining, attempt.captured_amount - attempt.refunded_amount)
            if take <= 0:
                continue
            key = f"flowmart-refund-{payment.order_id}-{reference}-{part}"
            outcome = gateway.refund(attempt.provider_intent_id, payment.money(take), key, reason)
            refunds.append(_record(payment, attempt, take, reference, part, reason, key, outcome.refund_id))
            remaining -= take
            if remaining <= 0:
                break
        _refunded(payment, amount, refunds[0], reason, reference)
        return refunds


def _record(payment, attempt, amount, reference, part, reason, key, provider_id, source="flowmart") -> Refund:
    refund = Refund.objects.create(
        payment=payment,
        attempt=attempt,
        reference=reference,
        part=part,
        amount=amount,
        currency=payment.currency,
        reason=reason,
        source=source,
        idempotency_key=key,
        provider_refund_id=provider_id,
    )
    attempt.refunded_amount += amount
    attempt.save(update_fields=["refunded_amount"])
    ledger.post(payment, "refund", amount, f"{reference}#{part}")
    return refund


def _refunded(payment: Payment, amount: Decimal, first: Refund, reason: str, reference: str) -> None:
    payment.refunded_amount += amount
    if payment.status in Payment.CAPTURED:
        payment.status = S.REFUNDED if payment.refundable <= 0 else S.PARTIALLY_REFUNDED
    payment.save()
    publish(
        PaymentRefunded(
            order_id=payment.order_id,
            payment_id=payment.pk,
            refund_id=first.pk,
            amount=payment.money(amount),
            reason=reason,
            reference=reference,
            fully_refunded=payment.refundable <= 0,
        )
    )


def record_provider_refunds(attempt_id: int, refunded_at_provider: Money, charge_id: str) -> Decimal:
    """charge.refunded: book whatever the provider refunded beyond what we know of."""
    with transaction.atomic():
        payment_id = PaymentAttempt.objects.values_list("payment_id", flat=True).get(pk=attempt_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        attempt = PaymentAttempt.objects.get(pk=attempt_id)
        extra = min(refunded_at_provider.amount - attempt.refunded_amount, payment.refundable)
        if extra <= 0:
            return Decimal(0)
        reference = f"provider-{charge_id or attempt.provider_intent_id}-{refunded_at_provider.amount}"
        refund = _record(payment, attempt, extra, reference, 1, "provider", reference, "", source="provider")
        _refunded(payment, extra, refund, "provider", reference)
        return extra


def record_dispute(attempt_id: int, dispute_id: str, amount: Money, reason: str) -> bool:
    """charge.dispute.created: the bank pulled the money back; orders puts the order on hold."""
    with transaction.atomic():
        payment_id = PaymentAttempt.objects.values_list("payment_id", flat=True).get(pk=attempt_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        dispute, created = Dispute.objects.get_or_create(
            provider_dispute_id=dispute_id,
            defaults={"payment": payment, "amount": amount.amount, "currency": amount.currency, "reason": reason},
        )
        if not created:
            return False
        payment.disputed_amount += amount.amount
        payment.save(update_fields=["disputed_amount", "updated_at"])
        ledger.post(payment, "dispute", amount.amount, dispute_id)
        publish(PaymentDisputed(order_id=payment.order_id, payment_id=payment.pk, amount=amount, reason=reason))
        return True
