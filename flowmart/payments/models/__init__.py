"""Payments state. Only provider ids and the brand/last4 a provider returns are
stored: card data never enters FlowMart."""

from .dummy import DummyCustomer, DummyIntent, DummyRefund
from .ledger import LedgerEntry, OrderDiscount, seller_account
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
from .settlement import (
    DisputeOutcome,
    KycDecision,
    KycStatus,
    OrderSettlement,
    Payout,
    RefundLines,
    SellerAccount,
    SettlementStaff,
)

__all__ = [
    "Amendment",
    "Dispute",
    "DisputeOutcome",
    "DummyCustomer",
    "DummyIntent",
    "DummyRefund",
    "FailureCode",
    "FraudAssessment",
    "KycDecision",
    "KycStatus",
    "LedgerEntry",
    "OrderSettlement",
    "RefundLines",
    "OrderDiscount",
    "OrderSignal",
    "Payment",
    "PaymentAttempt",
    "PaymentUnderReview",
    "Payout",
    "Refund",
    "SavedPaymentMethod",
    "SellerAccount",
    "SettlementStaff",
    "StripeWebhookEvent",
    "seller_account",
]
