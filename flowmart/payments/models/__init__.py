"""Payments state. Only provider ids and the brand/last4 a provider returns are
stored: card data never enters FlowMart."""

from .dummy import DummyCustomer, DummyIntent, DummyRefund
from .ledger import LedgerEntry, OrderDiscount
from .payment import (
    Amendment,
    Dispute,
    FailureCode,
    FraudAssessment,
    OrderSignal,
    Payment,
    PaymentAttempt,
    PaymentUnderReview,
    Refund,
    SavedPaymentMethod,
    StripeWebhookEvent,
)

__all__ = [
    "Amendment",
    "Dispute",
    "DummyCustomer",
    "DummyIntent",
    "DummyRefund",
    "FailureCode",
    "FraudAssessment",
    "LedgerEntry",
    "OrderDiscount",
    "OrderSignal",
    "Payment",
    "PaymentAttempt",
    "PaymentUnderReview",
    "Refund",
    "SavedPaymentMethod",
    "StripeWebhookEvent",
]
