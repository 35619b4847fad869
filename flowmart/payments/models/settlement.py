"""Seller settlements: what payments knows of each seller (from catalog events), their KYC
standing, each order's lines as the settlement splits them, and the payouts.

The money itself lives in the double-entry ledger (LedgerEntry, accounts
"seller:<id>:pending" / "seller:<id>:available" / "platform:*"): these tables only say whose
lines an order had, who is verified, and which (seller, period) payout was made."""

from decimal import Decimal

from django.db import models
from django.utils import timezone

from flowmart.common.money import AmountField, CurrencyField
from flowmart.common.roles import SellerStaffBase


class KycStatus(models.TextChoices):
    UNVERIFIED = "unverified"
    PENDING = "pending"  # onboarding started at Stripe, requirements still due
    VERIFIED = "verified"
    REJECTED = "rejected"


class SellerAccount(models.Model):
    """Payments' copy of a seller (SellerChanged / ProductPublished) plus what payments owns:
    the commission override, the Stripe Connect account and the KYC status."""

    seller_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    slug = models.CharField(max_length=200, blank=True)
    commission_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="empty: the shop's PAYMENTS_COMMISSION_PERCENT",
    )
    stripe_account_id = models.CharField(max_length=100, blank=True, db_index=True)
    kyc_status = models.CharField(max_length=12, choices=KycStatus.choices, default=KycStatus.UNVERIFIED)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    kyc_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["seller_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(commission_percent__isnull=True)
                | models.Q(commission_percent__gte=0, commission_percent__lte=100),
                name="seller_commission_0_100",
            )
        ]

    def __str__(self):
        return self.name or f"seller {self.seller_id}"

    @property
    def verified(self) -> bool:
        return self.kyc_status == KycStatus.VERIFIED


class KycDecision(models.Model):
    """Every change of a seller's KYC status: by Stripe (account.updated) or by a member of
    operations, with who and why. Append-only: the audit trail of verification."""

    class Source(models.TextChoices):
        STRIPE = "stripe"
        OPERATIONS = "operations"

    seller = models.ForeignKey(SellerAccount, on_delete=models.PROTECT, related_name="kyc_decisions")
    status = models.CharField(max_length=12, choices=KycStatus.choices)
    previous_status = models.CharField(max_length=12, choices=KycStatus.choices, blank=True)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.OPERATIONS)
    decided_by = models.CharField(max_length=150, help_text="staff email, or the Stripe event id")
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = "KYC decision"

    def __str__(self):
        return f"{self.seller}: {self.previous_status or '-'} → {self.status}"


class SettlementStaff(SellerStaffBase):
    """Which sellers each seller-staff user works for (SellerStaffChanged): their statements only."""

    class Meta(SellerStaffBase.Meta):
        verbose_name_plural = "settlement staff"


class OrderSettlement(models.Model):
    """An order's lines as settlement splits its money: from OrderConfirmed, replaced by each
    OrderAmended. `lines` holds per line the seller, net (price × quantity − discount) and tax."""

    order_id = models.BigIntegerField(unique=True)
    currency = CurrencyField()
    total = AmountField()
    lines = models.JSONField(default=list)
    as_of = models.DateTimeField(help_text="occurred_at of the event that wrote the lines")

    def __str__(self):
        return f"settlement of order {self.order_id}"


class RefundLines(models.Model):
    """The returned units a refund pays back, as orders named them (RefundRequested.lines), so
    settlement takes a return's refund from the sellers of those lines, not from every seller."""

    order_id = models.BigIntegerField()
    reference = models.CharField(max_length=200)  # the Refund's reference (a return id)
    lines = models.JSONField(help_text="{sku: quantity returned}")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order_id", "reference"], name="refund_lines_once")]

    def __str__(self):
        return f"refund {self.reference} of order {self.order_id}: {self.lines}"


class Payout(models.Model):
    """One payout per (seller, period, currency): the row is the claim that makes it exactly
    once, and its key makes the provider's transfer idempotent."""

    class Status(models.TextChoices):
        CLAIMED = "claimed"  # a run holds it (or a transfer's answer was lost: retried with the same key)
        PAID = "paid"
        FAILED = "failed"  # the provider refused: retried later under the next attempt's key
        SKIPPED = "skipped"  # not verified, no payout account, nothing available: see reason

    class Method(models.TextChoices):
        STRIPE = "stripe_transfer"
        BANK = "bank_transfer"

    OPEN = (Status.CLAIMED, Status.FAILED, Status.SKIPPED)

    seller = models.ForeignKey(SellerAccount, on_delete=models.PROTECT, related_name="payouts")
    period = models.CharField(max_length=20, help_text="e.g. 2026-W49 (weekly) or 2026-12 (monthly)")
    currency = CurrencyField()
    amount = AmountField(default=Decimal(0))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLAIMED, db_index=True)
    method = models.CharField(max_length=20, choices=Method.choices, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="why it was skipped or failed")
    attempt = models.PositiveIntegerField(default=1)
    provider_transfer_id = models.CharField(max_length=100, blank=True)
    reference = models.CharField(max_length=200, blank=True, help_text="bank transfer reference")
    paid_by = models.CharField(max_length=150, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["seller", "period", "currency"], name="payout_once_per_period"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payout_amount_gte_0"),
        ]

    def __str__(self):
        return f"payout {self.period} to {self.seller} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"flowmart-payout-{self.seller.seller_id}-{self.period}-{self.currency}-{self.attempt}"


class DisputeOutcome(models.Model):
    """How a dispute ended (charge.dispute.closed): a lost one is debited to the sellers."""

    dispute = models.OneToOneField("payments.Dispute", on_delete=models.PROTECT, related_name="outcome")
    status = models.CharField(max_length=30)  # won | lost | warning_closed ...
    closed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.dispute}: {self.status}"
