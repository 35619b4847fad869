"""The double-entry money ledger: every capture, refund and dispute is one balanced
transaction (debits == credits), so each transaction and each settled order sums to zero.

Seller settlement (services/settlements.py, services/payouts.py) posts to per-seller accounts
"seller:<id>:pending" and "seller:<id>:available" and to "platform:*" accounts; those entries
carry `seller_id`, and a payout's entries name no order or payment (docs/settlements.md)."""

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
        # Settlement: per-seller accounts are named seller_account(id, "pending" | "available").
        COMMISSION = "platform:commission"
        TAX = "platform:tax"
        SHIPPING = "platform:shipping"
        BANK = "platform:bank"
        DISCOUNTS_GIVEN = "discounts_given"  # what promotions took off orders (contra revenue)

    class Kind(models.TextChoices):
        CAPTURE = "capture"
        REFUND = "refund"
        DISPUTE = "dispute"
        SALE = "sale"  # a capture split over sellers (net of commission), commission, tax, shipping
        REVERSAL = "reversal"  # a refund's or lost dispute's share taken back from them
        RELEASE = "release"  # the hold period ended: seller pending → available
        PAYOUT = "payout"  # seller available → paid out (Stripe transfer or bank)
        DISCOUNT = "discount"

    transaction_id = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    account = models.CharField(max_length=30, choices=Account.choices)
    debit = AmountField(default=Decimal(0))
    credit = AmountField(default=Decimal(0))
    currency = CurrencyField()
    order_id = models.BigIntegerField(db_index=True, null=True, blank=True)  # None: a payout
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, related_name="ledger_entries", null=True, blank=True
    )
    seller_id = models.BigIntegerField(null=True, blank=True, help_text="set on settlement entries")
    reference = models.CharField(max_length=250, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["seller_id", "account", "created_at"], name="ledger_seller_account")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0, credit=0) | models.Q(debit=0, credit__gt=0)),
                name="ledger_one_sided_positive",
            ),
        ]

    def __str__(self):
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.kind} {self.account} {side} {self.currency}"


def seller_account(seller_id: int, bucket: str) -> str:
    """A seller's ledger account: "pending" (within the hold period) or "available" (payable)."""
    return f"seller:{seller_id}:{bucket}"


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
