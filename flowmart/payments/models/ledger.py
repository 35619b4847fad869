"""The double-entry money ledger: every capture, refund and dispute is one balanced
transaction (debits == credits), so each transaction and each settled order sums to zero."""

from decimal import Decimal

from django.db import models
from django.utils import timezone

from flowmart.common.money import AmountField, CurrencyField


class LedgerEntry(models.Model):
    class Account(models.TextChoices):
        CUSTOMER_RECEIVABLE = "customer_receivable"
        PROVIDER_CLEARING = "provider_clearing"
        REFUNDS = "refunds"
        DISPUTES = "disputes"
        DISCOUNTS_GIVEN = "discounts_given"  # what promotions took off orders (contra revenue)

    class Kind(models.TextChoices):
        CAPTURE = "capture"
        REFUND = "refund"
        DISPUTE = "dispute"
        DISCOUNT = "discount"

    transaction_id = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    account = models.CharField(max_length=30, choices=Account.choices)
    debit = AmountField(default=Decimal(0))
    credit = AmountField(default=Decimal(0))
    currency = CurrencyField()
    order_id = models.BigIntegerField(db_index=True)
    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, related_name="ledger_entries")
    reference = models.CharField(max_length=250, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0, credit=0) | models.Q(debit=0, credit__gt=0)),
                name="ledger_one_sided_positive",
            ),
        ]

    def __str__(self):
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.kind} {self.account} {side} {self.currency}"


class OrderDiscount(models.Model):
    """An order's discount as OrderConfirmed carried it, posted to the ledger once (when the
    order's payment is first captured), so the books show what vouchers and offers gave away."""

    order_id = models.BigIntegerField(primary_key=True)
    amount = AmountField()
    currency = CurrencyField()
    posted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"order {self.order_id}: {self.amount} {self.currency} off"
