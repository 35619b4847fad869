"""The payments side of privacy (docs/privacy.md). The export lists payments and refunds
without any card data (brand, last four, country, fingerprint, payment-method and provider
customer ids). The erasure keeps every amount, status, date, provider intent/charge id and
ledger entry (accounting and reconciliation), and removes the email, the client IP, the card
details, the saved payment methods and the personal inputs of fraud assessments."""

from django.db import transaction

from flowmart.common import privacy

from .models import FraudAssessment, Payment, Refund, SavedPaymentMethod

# Fraud inputs that identify a person or a card; the counts and the score stay.
PERSONAL_FRAUD_INPUTS = ("client_ip", "card_fingerprint", "card_country")


def export_customer(customer_id: int, email: str) -> dict:
    payments = Payment.objects.filter(customer_id=customer_id).order_by("id")
    refunds = Refund.objects.filter(payment__customer_id=customer_id).order_by("id")
    return {
        "payments": [
            {
                "id": p.id,
                "order_id": p.order_id,
                "order_number": p.order_number,
                "amount": str(p.amount),
                "currency": p.currency,
                "status": p.status,
                "provider": p.provider,
                "email": p.customer_email,
                "client_ip": p.client_ip,
                "captured": str(p.captured_amount),
                "refunded": str(p.refunded_amount),
                "created_at": p.created_at.isoformat(),
            }
            for p in payments
        ],
        "refunds": [
            {
                "payment_id": r.payment_id,
                "amount": str(r.amount),
                "currency": r.currency,
                "reason": r.reason,
                "created_at": r.created_at.isoformat(),
            }
            for r in refunds
        ],
    }


@transaction.atomic
def erase_customer(customer_id: int) -> None:
    """CustomerErased: anonymise the customer's payments, forget their saved methods."""
    payments = Payment.objects.filter(customer_id=customer_id)
    payments.update(
        customer_email=privacy.erased_email(customer_id),
        client_ip=None,
        provider_customer_id="",
        card_brand="",
        card_last4="",
        card_country="",
        card_fingerprint="",
        next_action_url="",
    )
    for assessment in FraudAssessment.objects.filter(payment__customer_id=customer_id).only("pk", "inputs"):
        inputs = {key: value for key, value in assessment.inputs.items() if key not in PERSONAL_FRAUD_INPUTS}
        FraudAssessment.objects.filter(pk=assessment.pk).update(inputs=inputs)
    SavedPaymentMethod.objects.filter(customer_id=customer_id).delete()
