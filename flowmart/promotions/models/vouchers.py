"""Voucher codes as staff and sellers define them. Promotions owns the definition and
publishes it whole (VoucherDefined); orders applies it and keeps the use counters, and
tells back each use (VoucherRedeemed / VoucherReleased), recorded here as VoucherUse rows
so the admin shows how often a code was used."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from flowmart.common.money import AmountField, CurrencyField, Money
from flowmart.contracts.promotions import normalise_code


class Voucher(models.Model):
    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", "percentage off the eligible goods"
        FIXED = "fixed", "fixed amount off the eligible goods"
        FREE_SHIPPING = "free_shipping", "free shipping"

    code = models.CharField(max_length=40, unique=True, help_text="stored normalised: upper case, no spaces")
    description = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
        help_text="percentage vouchers: 0.01–100",
    )
    amount = AmountField(null=True, blank=True, help_text="fixed vouchers: the amount off")
    currency = CurrencyField(default="USD", help_text="the voucher applies only to carts in this currency")
    min_spend = AmountField(null=True, blank=True, help_text="on the eligible goods, before any discount")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    owner_seller_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="a seller's own voucher: it discounts only that seller's goods"
    )
    product_ids = models.JSONField(default=list, blank=True, help_text="only these products (empty: any)")
    category_slugs = models.JSONField(default=list, blank=True, help_text="only these categories (empty: any)")
    seller_ids = models.JSONField(default=list, blank=True, help_text="only these sellers (empty: any)")
    excluded_product_ids = models.JSONField(default=list, blank=True)
    excluded_category_slugs = models.JSONField(default=list, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="in total (empty: unlimited)")
    max_uses_per_customer = models.PositiveIntegerField(null=True, blank=True, help_text="per customer or guest email")
    exclusive = models.BooleanField(default=False, help_text="never combined with another voucher")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="percentage") | models.Q(percent__gt=0, percent__lte=100),
                name="voucher_percentage_has_percent",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="fixed") | models.Q(amount__gt=0), name="voucher_fixed_has_amount"
            ),
        ]

    def __str__(self):
        return self.code

    def clean(self):
        """Codes are unique after normalisation ("summer 10" and "SUMMER10" are one code); each
        kind needs its own number and no other, and the window must not end before it starts."""
        self.code = normalise_code(self.code)
        self.currency = (self.currency or "").upper()
        errors = {}
        if not self.code:
            errors["code"] = "A code needs at least one character that is not a space."
        elif Voucher.objects.filter(code=self.code).exclude(pk=self.pk).exists():
            errors["code"] = f"{self.code} exists already (codes ignore case and spaces)."
        if self.kind == self.Kind.PERCENTAGE and self.percent is None:
            errors["percent"] = "A percentage voucher needs its percent."
        if self.kind == self.Kind.FIXED and not self.amount:
            errors["amount"] = "A fixed voucher needs its amount."
        if self.kind != self.Kind.PERCENTAGE and self.percent is not None:
            errors["percent"] = "Only percentage vouchers have a percent."
        if self.kind != self.Kind.FIXED and self.amount is not None:
            errors["amount"] = "Only fixed vouchers have an amount."
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = "The voucher must end after it starts."
        if errors:
            raise ValidationError(errors)

    def money(self, field: str) -> Money | None:
        value = getattr(self, field)
        return None if value is None else Money(value, self.currency)


class VoucherUse(models.Model):
    """One order's use of a voucher as orders reported it (one row per order: a redelivered
    event changes nothing); `released` once the order gave the use back."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="uses")
    order_id = models.BigIntegerField()
    customer_id = models.BigIntegerField(null=True, blank=True)
    discount = AmountField()
    released = models.BooleanField(default=False)
    redeemed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["voucher", "order_id"], name="voucher_use_once_per_order")]

    def __str__(self):
        return f"{self.voucher_id} on order {self.order_id}"
