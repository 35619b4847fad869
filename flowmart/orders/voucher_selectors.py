"""Reads for vouchers: the terms of the codes a cart holds and what they take off it now
(the rules are in vouchers.py). Kept apart from selectors.py, which only calls in here."""

from django.utils import timezone

from flowmart.common.money import Money

from . import vouchers
from .models import CartItem, CartVoucher, ProductCategory, RedeemableVoucher


def terms_of(voucher: RedeemableVoucher) -> vouchers.Terms:
    return vouchers.Terms(
        voucher_id=voucher.voucher_id,
        code=voucher.code,
        kind=voucher.kind,
        currency=voucher.currency,
        percent=voucher.percent,
        amount=voucher.money("amount"),
        min_spend=voucher.money("min_spend"),
        owner_seller_id=voucher.owner_seller_id,
        product_ids=frozenset(voucher.product_ids),
        category_slugs=frozenset(voucher.category_slugs),
        seller_ids=frozenset(voucher.seller_ids),
        excluded_product_ids=frozenset(voucher.excluded_product_ids),
        excluded_category_slugs=frozenset(voucher.excluded_category_slugs),
        exclusive=voucher.exclusive,
    )


def is_current(voucher: RedeemableVoucher, now=None) -> bool:
    """Active and inside its validity window."""
    now = now or timezone.now()
    return (
        voucher.active
        and (voucher.valid_from is None or voucher.valid_from <= now)
        and (voucher.valid_until is None or now < voucher.valid_until)
    )


def held_by(cart) -> list[RedeemableVoucher]:
    """The vouchers on the cart that can still be used (a withdrawn or expired one is ignored)."""
    if cart is None or cart.pk is None:
        return []
    held = [cv.voucher for cv in CartVoucher.objects.filter(cart=cart).select_related("voucher").order_by("id")]
    return [v for v in held if is_current(v)]


def goods_of(items: list[CartItem]) -> list[vouchers.Goods]:
    products = {item.variant.product_id for item in items}
    categories = dict(
        ProductCategory.objects.filter(product_id__in=products).values_list("product_id", "category_slug")
    )
    return [
        vouchers.Goods(
            product_id=item.variant.product_id,
            category_slug=categories.get(item.variant.product_id, ""),
            seller_id=item.variant.seller_id,
            total=item.unit_price * item.quantity,  # the sale or deal price when there is one
        )
        for item in items
    ]


def applied_to_cart(
    cart, items: list[CartItem], shipping: Money, currency: str, held: list[RedeemableVoucher] | None = None
) -> vouchers.Applied:
    """What the cart's vouchers take off its lines and shipping right now (`held`: the cart's
    vouchers when the caller knows them, e.g. none on a cart made by this request)."""
    held = held_by(cart) if held is None else held
    if not held:
        return vouchers.Applied(line_discounts=[Money.zero(currency)] * len(items), shipping=shipping)
    return vouchers.apply([terms_of(v) for v in held], goods_of(items), shipping, currency)
