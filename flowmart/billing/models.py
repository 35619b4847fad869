"""Billing state: what billing has heard of orders, refunds and sellers (projections kept from
events: billing never reads another context's tables), the series counters, and the issued
documents (invoices and credit notes) with their lines.

A document is immutable once issued: `save()` on an issued row, `delete()`, and queryset
`update()`/`delete()` all raise. A correction is a credit note, never an edit. The one
exception is the buyer's erasure (`erase_buyer`, docs/privacy.md): the buyer's email and
address, and the stored PDF showing them, are replaced; numbers, dates, lines and amounts never."""

from django.db import models
from django.db.models import Q

from flowmart.common.money import AmountField, CurrencyField, Money
from flowmart.common.roles import SellerStaffBase

INVOICE_REFERENCE = "order"  # an order's invoice; a credit note's reference names its refund


class ImmutableDocument(Exception):
    """An issued invoice or credit note was asked to change: correct it with a credit note."""


# --- Projections ------------------------------------------------------------------------


class BilledOrder(models.Model):
    """Billing's copy of an order: its buyer, latest lines and totals (OrderConfirmed,
    OrderAmended), its owner (OrderConfirmed, OrderClaimed) and whether it was paid
    (OrderStatusChanged). `lines_as_of` lets an older event lose against newer lines."""

    order_id = models.BigIntegerField(unique=True)
    order_number = models.CharField(max_length=32, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    customer_email = models.EmailField(blank=True)
    shipping_address = models.JSONField(default=dict, blank=True)
    shipping_method = models.CharField(max_length=64, blank=True)
    currency = CurrencyField(blank=True)
    lines = models.JSONField(default=list, blank=True, help_text="contract OrderLine dicts, latest known")
    shipping = AmountField(null=True, blank=True)
    discount = AmountField(null=True, blank=True)
    tax = AmountField(null=True, blank=True)
    total = AmountField(null=True, blank=True)
    lines_as_of = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True, help_text="when billing learned the order was paid")
    invoiced_as_of = models.DateTimeField(null=True, blank=True, help_text="lines_as_of of the lines invoiced")

    def __str__(self):
        return self.order_number or f"order {self.order_id}"

    @property
    def lines_known(self) -> bool:
        return self.lines_as_of is not None


class RefundBasis(models.Model):
    """Which lines a refund reference is about: a return's lines (ReturnRequested, reference
    = return id) or an amendment's removed units (OrderAmended, reference = amendment id)."""

    order_id = models.BigIntegerField()
    reference = models.CharField(max_length=255)
    lines = models.JSONField(help_text="[{sku, quantity}] with positive quantities")
    as_of = models.DateTimeField(null=True, blank=True, help_text="amendments: when it was made (OrderAmended)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order_id", "reference"], name="billing_refund_basis_once")]

    def __str__(self):
        return f"order {self.order_id} · {self.reference}"


class BilledRefund(models.Model):
    """A refund payments made (PaymentRefunded), kept until its credit note is issued
    (it may arrive before the invoice exists)."""

    order_id = models.BigIntegerField(db_index=True)
    refund_id = models.BigIntegerField(unique=True)
    reference = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=64, blank=True)
    amount = AmountField()
    currency = CurrencyField()
    refunded_at = models.DateTimeField()

    def __str__(self):
        return f"refund {self.refund_id} of order {self.order_id}: {self.money}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class AmendmentCharge(models.Model):
    """An amendment's extra charge (PaymentProcessed with its amendment id): the order's invoice
    was issued without it, so it gets a supplementary invoice (unless the invoice holds it)."""

    order_id = models.BigIntegerField()
    amendment_id = models.CharField(max_length=64)
    amount = AmountField()
    currency = CurrencyField()
    charged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order_id", "amendment_id"], name="billing_amendment_charge_once")
        ]

    def __str__(self):
        return f"amendment {self.amendment_id} of order {self.order_id}: {self.amount} {self.currency}"


class Seller(models.Model):
    """Sellers' names as printed on invoices (ProductPublished)."""

    seller_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=200)
    as_of = models.DateTimeField()

    def __str__(self):
        return self.name


class SellerStaff(SellerStaffBase):
    """Which sellers each seller-staff user works for (SellerStaffChanged): they see the
    documents holding their sellers' lines, and only those lines."""

    class Meta(SellerStaffBase.Meta):
        verbose_name_plural = "seller staff"


# --- Numbering --------------------------------------------------------------------------


class Series(models.Model):
    """One counter per series ("INV-2026", "CN-2026"), counted and row-locked by one upsert in
    the issuing transaction (numbering.take_next): the number and the document commit or roll back together, so a
    series never skips or repeats a number."""

    name = models.CharField(max_length=32, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "series"

    def __str__(self):
        return f"{self.name} (last {self.last_number})"


# --- Documents --------------------------------------------------------------------------


ERASABLE_FIELDS = frozenset({"buyer_email", "buyer_address", "pdf"})


class DocumentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableDocument("issued documents are never updated")

    def erase_buyer(self, **fields) -> int:
        """The erasure's write (billing.services.erasure), the only update an issued document
        takes: the buyer's fields and the PDF rendered with them, nothing else."""
        if not fields or not set(fields) <= ERASABLE_FIELDS:
            raise ImmutableDocument(f"an erasure replaces only {sorted(ERASABLE_FIELDS)}, not {sorted(fields)}")
        return super().update(**fields)

    def store_pdf(self, name: str) -> int:
        """The PDF rendered on first download (billing.services.rendering), stored once: only a
        document that has none takes it, so two first downloads at once keep one file."""
        return models.QuerySet.update(self.filter(pdf=""), pdf=name)

    def delete(self):
        raise ImmutableDocument("issued documents are never deleted")


class Document(models.Model):
    """An issued invoice or credit note. Amounts are positive on both (a credit note credits
    them); total = sum of the lines' totals = subtotal - discount + tax."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    number = models.CharField(max_length=32, unique=True)
    series = models.CharField(max_length=32, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    order_id = models.BigIntegerField(db_index=True)
    order_number = models.CharField(max_length=32, blank=True)
    reference = models.CharField(max_length=255, help_text='"order" for the invoice; the refund for a credit note')
    credits = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes")
    reason = models.CharField(max_length=64, blank=True)
    buyer_email = models.EmailField(blank=True)
    buyer_address = models.JSONField(default=dict, blank=True)
    currency = CurrencyField()
    subtotal = AmountField()
    discount = AmountField()
    tax = AmountField()
    total = AmountField()
    issued_at = models.DateTimeField(db_index=True)
    # Rendered from the document on first download and stored (services/rendering.py).
    pdf = models.FileField(upload_to="billing/%Y/%m/", blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["order_id", "kind", "reference"], name="billing_document_once"),
            models.CheckConstraint(
                condition=Q(kind="invoice", credits__isnull=True) | Q(kind="credit_note", credits__isnull=False),
                name="billing_credit_note_credits_an_invoice",
            ),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableDocument(f"{self.number} is issued: correct it with a credit note")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocument(f"{self.number} is issued and is never deleted")

    def money(self, field: str) -> Money:
        return Money(getattr(self, field), self.currency)


class Invoice(Document):
    """Invoices only (the admin's invoice screen)."""

    class Meta:
        proxy = True


class CreditNote(Document):
    """Credit notes only (the admin's credit-note screen)."""

    class Meta:
        proxy = True


class DocumentLine(models.Model):
    """One line of a document: total = amount - discount + tax, where amount is quantity ×
    unit price on an invoice and the credited share of it on a credit note. `seller_id` is
    empty on the shipping line (the marketplace's)."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    sku = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=255)
    seller_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    seller_name = models.CharField(max_length=255, blank=True, help_text="as it was when the document was issued")
    quantity = models.IntegerField()
    unit_price = AmountField()
    amount = AmountField()
    discount = AmountField()
    tax = AmountField()
    total = AmountField()

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["document", "position"]
        constraints = [models.UniqueConstraint(fields=["document", "position"], name="billing_line_position_once")]

    def __str__(self):
        return f"{self.document_id}#{self.position} {self.name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableDocument("lines of an issued document are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocument("lines of an issued document are never deleted")
