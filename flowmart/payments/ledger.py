"""Posting to the double-entry ledger. Each posting is one transaction whose debits
equal its credits:

    capture : Dr provider_clearing   Cr customer_receivable
    refund  : Dr refunds             Cr provider_clearing
    dispute : Dr disputes            Cr provider_clearing
    discount: Dr discounts_given     Cr customer_receivable  (once per order, at its first capture)

so provider_clearing's balance per payment is what the provider still holds for us:
captured − refunded − disputed. `check_ledger` compares that with the Payment rows.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import F, Q, Sum

from .locks import lock_order
from .models import LedgerEntry, OrderDiscount, Payment
from .models.rows import insert_new

A = LedgerEntry.Account
POSTINGS = {
    LedgerEntry.Kind.CAPTURE: (A.PROVIDER_CLEARING, A.CUSTOMER_RECEIVABLE),
    LedgerEntry.Kind.REFUND: (A.REFUNDS, A.PROVIDER_CLEARING),
    LedgerEntry.Kind.DISPUTE: (A.DISPUTES, A.PROVIDER_CLEARING),
    LedgerEntry.Kind.DISCOUNT: (A.DISCOUNTS_GIVEN, A.CUSTOMER_RECEIVABLE),
}


def post(payment: Payment, kind: str, amount: Decimal, reference: str = "") -> uuid.UUID:
    """Write one balanced transaction (call inside the service's transaction)."""
    debit_account, credit_account = POSTINGS[kind]
    txn = uuid.uuid4()
    common = {
        "transaction_id": txn,
        "kind": kind,
        "currency": payment.currency,
        "order_id": payment.order_id,
        "payment": payment,
        "reference": reference,
    }
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(account=debit_account, debit=amount, **common),
            LedgerEntry(account=credit_account, credit=amount, **common),
        ]
    )
    return txn


def post_discount(payment: Payment) -> bool:
    """Post the order's discount once its payment has captured money (call inside the
    transaction of the capture, or of OrderConfirmed's arrival if that comes later).
    Returns whether it was posted now. One conditional UPDATE … RETURNING marks it posted
    and reads its amount: a concurrent caller waits on the row, then finds it posted."""
    if not payment.captured_amount or payment.discount_waiting is False:  # see Payment.discount_waiting
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(OrderDiscount._meta.db_table)} SET posted = %s "
            "WHERE order_id = %s AND posted = %s AND amount > 0 RETURNING amount",
            [True, payment.order_id, False],
        )
        row = cursor.fetchone()
    if row is None:
        return False
    amount = Decimal(str(row[0]))  # SQLite hands a NUMERIC back as a float; its repr is the stored amount
    post(payment, LedgerEntry.Kind.DISCOUNT, amount, f"order {payment.order_id} discount")
    return True


def note_order_discount(order_id: int, amount: Decimal, currency: str) -> None:
    """Remember the order's discount (OrderConfirmed); posted now if the payment was
    already captured (events may arrive in any order), else at its capture."""
    if amount <= 0:
        return
    # The order's lock first (as a charge takes it: it reads whether a discount waits, see
    # saga._signals_heard), then the payment's row, as a capture takes it.
    lock_order(order_id)
    payment = Payment.objects.select_for_update().filter(order_id=order_id).order_by("id").first()
    insert_new(OrderDiscount(order_id=order_id, amount=amount, currency=currency), "order_id")  # once per order
    if payment is not None:
        post_discount(payment)


@dataclass(frozen=True)
class Drift:
    order_id: int
    payment_id: int
    problem: str

    def __str__(self):
        return f"order {self.order_id} (payment {self.payment_id}): {self.problem}"


def _sum(qs, field: str) -> Decimal:
    return qs.aggregate(total=Sum(field))["total"] or Decimal(0)


def check_payment(payment: Payment) -> list[Drift]:
    """Every way the ledger of one payment can disagree with itself or with the Payment."""
    entries = payment.ledger_entries.all()
    problems = []
    unbalanced = entries.values("transaction_id").annotate(d=Sum("debit"), c=Sum("credit")).exclude(d=F("c"))
    for row in unbalanced:
        problems.append(f"transaction {row['transaction_id']} unbalanced: Dr {row['d']} ≠ Cr {row['c']}")
    captured = _sum(entries.filter(kind="capture", account=A.PROVIDER_CLEARING), "debit")
    refunded = _sum(entries.filter(kind="refund", account=A.PROVIDER_CLEARING), "credit")
    disputed = _sum(entries.filter(kind="dispute", account=A.PROVIDER_CLEARING), "credit")
    clearing = entries.filter(account=A.PROVIDER_CLEARING)
    balance = _sum(clearing, "debit") - _sum(clearing, "credit")
    if captured != payment.captured_amount:
        problems.append(f"ledger captured {captured} ≠ payment captured {payment.captured_amount}")
    if refunded != payment.refunded_amount:
        problems.append(f"ledger refunded {refunded} ≠ payment refunded {payment.refunded_amount}")
    expected = payment.captured_amount - payment.refunded_amount - payment.disputed_amount
    if balance != expected or captured - refunded - disputed != balance:
        problems.append(f"provider clearing {balance} ≠ captured − refunded − disputed {expected}")
    attempts_captured = _sum(payment.attempts.all(), "captured_amount")
    refunds_total = _sum(payment.refunds.all(), "amount")
    if attempts_captured != payment.captured_amount:
        problems.append(f"attempts captured {attempts_captured} ≠ payment captured {payment.captured_amount}")
    if refunds_total != payment.refunded_amount:
        problems.append(f"refund rows {refunds_total} ≠ payment refunded {payment.refunded_amount}")
    return [Drift(payment.order_id, payment.pk, p) for p in problems]


def check_ledger(order_ids=None) -> list[Drift]:
    payments = Payment.objects.all()
    if order_ids:
        payments = payments.filter(order_id__in=order_ids)
    touched = payments.filter(Q(captured_amount__gt=0) | Q(ledger_entries__isnull=False)).distinct()
    drifts = []
    for payment in touched.order_by("id").iterator():
        drifts.extend(check_payment(payment))
    return drifts
