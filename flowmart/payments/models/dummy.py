"""The dummy provider's own records: it keeps its intents in the database, so it is
idempotent per key like Stripe and the reconciliation job has something to compare."""

from decimal import Decimal

from django.db import models
from django.utils import timezone

from flowmart.common.money import AmountField, CurrencyField


class DummyIntent(models.Model):
    intent_id = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    amount = AmountField()
    currency = CurrencyField()
    payment_method = models.CharField(max_length=100)
    customer_ref = models.CharField(max_length=40, blank=True)
    off_session = models.BooleanField(default=False)
    capture_later = models.BooleanField(default=False)
    status = models.CharField(
        max_length=30
    )  # succeeded | requires_action | requires_capture | requires_payment_method | canceled
    failure_code = models.CharField(max_length=30, blank=True)
    amount_received = AmountField(default=Decimal(0))
    amount_refunded = AmountField(default=Decimal(0))
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.intent_id} ({self.status})"


class DummyRefund(models.Model):
    refund_id = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=250, unique=True)
    intent = models.ForeignKey(DummyIntent, on_delete=models.PROTECT, related_name="refunds")
    amount = AmountField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.refund_id


class DummyCustomer(models.Model):
    customer_ref = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    email = models.EmailField(blank=True)
    payment_methods = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.customer_ref
