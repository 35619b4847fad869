"""Orders' side of vouchers: its copy of each voucher's terms (VoucherDefined) with the use
counter that checkout consumes, the codes a cart holds, each order's redemptions, and the
category of each product (ProductPublished) that category-wide vouchers need.

The counter lives here, beside the orders it is consumed for, so a use is taken in the
checkout transaction itself: with a conditional UPDATE (uses + 1 <= max_uses) that holds
the voucher's row until the order commits or rolls back."""

from django.db import models
from django.utils import timezone

from flowmart.common.money import AmountField, CurrencyField, Money


class RedeemableVoucher(models.Model):
    """A voucher as promotions last published it, plus the uses held by orders."""

    voucher_id = models.BigIntegerField(primary_key=True)
    code = models.CharField(max_length=40, db_index=True, help_text="normalised; unique among active vouchers")
    kind = models.CharField(max_length=20)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount = AmountField(null=True, blank=True)
    currency = CurrencyField(blank=True)
    min_spend = AmountField(null=True, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    owner_seller_id = models.BigIntegerField(null=True, blank=True)
    product_ids = models.JSONField(default=list)
    category_slugs = models.JSONField(default=list)
    seller_ids = models.JSONField(default=list)
    excluded_product_ids = models.JSONField(default=list)
    excluded_category_slugs = models.JSONField(default=list)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(null=True, blank=True)
    exclusive = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    uses = models.PositiveIntegerField(default=0, help_text="uses held by orders not released")
    as_of = models.DateTimeField()

    # No CHECK (uses <= max_uses): staff may lower the limit below the uses already held, and
    # that definition must still be stored; checkout's conditional UPDATE is what holds the limit.

    def __str__(self):
        return self.code

    def money(self, field: str) -> Money | None:
        value = getattr(self, field)
        return None if value is None else Money(value, self.currency)


class CartVoucher(models.Model):
    """A code the customer applied to their cart; its discount is worked out on every read."""

    cart = models.ForeignKey("orders.Cart", on_delete=models.CASCADE, related_name="vouchers")
    voucher = models.ForeignKey(RedeemableVoucher, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["cart", "voucher"], name="one_voucher_once_per_cart")]

    def __str__(self):
        return f"{self.voucher_id} on cart {self.cart_id}"


class VoucherRedemption(models.Model):
    """One use of a voucher by one order. `released_at` is set once, when the order is
    released (cancelled, payment failed, expired): the use goes back to the counter then."""

    voucher = models.ForeignKey(RedeemableVoucher, on_delete=models.PROTECT, related_name="redemptions")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="voucher_redemptions")
    code = models.CharField(max_length=40)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    email = models.CharField(max_length=254, db_index=True, help_text="lower case: guests are limited by it")
    discount = AmountField(help_text="what this voucher took off the order (free shipping: the shipping)")
    currency = CurrencyField()
    redeemed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=30, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["voucher", "order"], name="one_redemption_per_order")]

    def __str__(self):
        return f"{self.code} on order {self.order_id}"


class ProductCategory(models.Model):
    """The category of each product (ProductPublished), for vouchers limited to categories."""

    product_id = models.BigIntegerField(primary_key=True)
    category_slug = models.CharField(max_length=100, blank=True)
    as_of = models.DateTimeField()

    class Meta:
        verbose_name_plural = "product categories"

    def __str__(self):
        return f"{self.product_id}: {self.category_slug}"
