"""Vouchers in orders: keeping promotions' definitions, codes on carts, and the use each
order takes at checkout and gives back when it is released.

Errors a shopper can see when applying a code are one and the same (422 invalid_voucher,
one message) whether the code does not exist, is withdrawn, expired, not yet valid, for
another currency, used up, or used up by this customer: the answer never tells whether a
code exists. At checkout the customer already applied the code, so a use that ran out
meanwhile is told plainly (409 voucher_exhausted) and the whole checkout rolls back.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from rest_framework import status

from flowmart.common.errors import ApiError, Conflict
from flowmart.common.money import Money
from flowmart.contracts.catalog import ProductPublished
from flowmart.contracts.orders import VoucherRedeemed, VoucherReleased
from flowmart.contracts.promotions import VoucherDefined, normalise_code
from flowmart.events import publish

from .. import selectors, voucher_selectors, vouchers
from ..models import Cart, CartVoucher, Order, ProductCategory, RedeemableVoucher, VoucherRedemption
from ..selectors import Owner
from .placing import Customer
from .projections import _upsert_newer

MAX_VOUCHERS_PER_CART = 5


class InvalidVoucher(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "invalid_voucher"
    default_detail = "This code cannot be used."


class VoucherExhausted(Conflict):
    default_code = "voucher_exhausted"
    default_detail = "This voucher has no uses left; remove it from the cart to check out without it."


# --- the projection ---------------------------------------------------------------------
@transaction.atomic
def keep_definition(ev: VoucherDefined) -> None:
    """Upsert the voucher's terms unless what is stored is newer; the counter is orders' own."""
    terms = {
        "code": ev.code,
        "kind": ev.kind,
        "percent": ev.percent,
        "amount": ev.amount.amount if ev.amount else None,
        "currency": ev.currency,
        "min_spend": ev.min_spend.amount if ev.min_spend else None,
        "valid_from": ev.valid_from,
        "valid_until": ev.valid_until,
        "owner_seller_id": ev.owner_seller_id,
        "product_ids": list(ev.product_ids),
        "category_slugs": list(ev.category_slugs),
        "seller_ids": list(ev.seller_ids),
        "excluded_product_ids": list(ev.excluded_product_ids),
        "excluded_category_slugs": list(ev.excluded_category_slugs),
        "max_uses": ev.max_uses,
        "max_uses_per_customer": ev.max_uses_per_customer,
        "exclusive": ev.exclusive,
        "active": ev.active,
        "as_of": ev.occurred_at,
    }
    stored = RedeemableVoucher.objects.select_for_update().filter(pk=ev.voucher_id).first()
    if stored is None:
        RedeemableVoucher.objects.bulk_create([RedeemableVoucher(voucher_id=ev.voucher_id, **terms)])
    elif stored.as_of <= ev.occurred_at:
        RedeemableVoucher.objects.filter(pk=ev.voucher_id).update(**terms)


def keep_product_category(ev: ProductPublished) -> None:
    _upsert_newer(
        ProductCategory, [{"product_id": ev.product_id, "category_slug": ev.category_slug, "as_of": ev.occurred_at}]
    )


# --- carts ------------------------------------------------------------------------------
def _open_locked(owner: Owner, cart_id) -> Cart:
    cart = selectors.cart_of(owner, cart_id, lock=True)
    if cart.status != Cart.Status.OPEN:
        raise Conflict("This cart is closed.")
    return cart


def _used_by(voucher_id: int, customer_id: int | None, email: str) -> int:
    """Uses held by this customer (by account, and by email for guests and accounts alike)."""
    who = Q(email=email.lower()) if email else Q(pk__in=[])
    if customer_id is not None:
        who |= Q(customer_id=customer_id)
    return VoucherRedemption.objects.filter(who, voucher_id=voucher_id, released_at__isnull=True).count()


def _usable_by(voucher: RedeemableVoucher | None, cart: Cart) -> bool:
    if voucher is None or not voucher_selectors.is_current(voucher):
        return False
    items = selectors.cart_items(cart)
    if items and voucher.currency and voucher.currency != selectors.cart_currency(items):
        return False
    if voucher.max_uses is not None and voucher.uses >= voucher.max_uses:
        return False
    limit = voucher.max_uses_per_customer
    return limit is None or cart.customer_id is None or _used_by(voucher.pk, cart.customer_id, "") < limit


@transaction.atomic
def add_to_cart(owner: Owner, cart_id, raw_code: str) -> Cart:
    """Put a code on the cart (applying one already there changes nothing)."""
    cart = _open_locked(owner, cart_id)
    code = normalise_code(raw_code)
    voucher = RedeemableVoucher.objects.filter(code=code, active=True).first() if code else None
    if not _usable_by(voucher, cart):
        raise InvalidVoucher()
    held = voucher_selectors.held_by(cart)
    if any(v.pk == voucher.pk for v in held):
        return cart
    if held and (voucher.exclusive or any(v.exclusive for v in held)):
        raise Conflict(
            "This code cannot be combined with the code already on the cart; remove that one first.",
            code="voucher_not_combinable",
        )
    if len(held) >= MAX_VOUCHERS_PER_CART:
        raise Conflict(f"A cart holds at most {MAX_VOUCHERS_PER_CART} codes.", code="too_many_vouchers")
    CartVoucher.objects.get_or_create(cart=cart, voucher=voucher)
    cart.save(update_fields=["updated_at"])
    return cart


@transaction.atomic
def remove_from_cart(owner: Owner, cart_id, raw_code: str | None) -> Cart:
    """Take a code off the cart (one it does not hold: nothing to do); no code: every code."""
    cart = _open_locked(owner, cart_id)
    held = CartVoucher.objects.filter(cart=cart)
    if raw_code is not None:
        held = held.filter(voucher__code=normalise_code(raw_code))
    held.delete()
    return cart


# --- checkout ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Priced:
    """What the cart's vouchers do to the order about to be placed."""

    method: dict  # the shipping offer, its price zeroed by free shipping
    line_discounts: list[Money] | None
    outcomes: list[vouchers.Outcome]


def at_checkout(cart: Cart, items, method: dict) -> Priced:
    """The cart's vouchers applied to its lines and shipping. A code that stopped being valid
    since it was applied (withdrawn, expired) refuses the checkout: the customer removes it."""
    codes = list(CartVoucher.objects.filter(cart=cart).select_related("voucher"))
    if not codes:
        return Priced(method=method, line_discounts=None, outcomes=[])
    if any(not voucher_selectors.is_current(cv.voucher) for cv in codes):
        raise InvalidVoucher("A code on this cart cannot be used any more; remove it to check out.")
    currency = items[0].variant.currency
    applied = voucher_selectors.applied_to_cart(cart, items, method["price"], currency)
    return Priced(
        method={**method, "price": applied.shipping},
        line_discounts=applied.line_discounts,
        outcomes=[o for o in applied.outcomes if o.applied],
    )


def redeem(order: Order, customer: Customer, priced: Priced) -> None:
    """Take one use of each applied voucher for the order, in the checkout's transaction.
    The conditional UPDATE holds the voucher's row until the order commits, so the
    per-customer count after it sees every committed use: no limit can be overrun."""
    for outcome in sorted(priced.outcomes, key=lambda o: o.terms.voucher_id):
        terms = outcome.terms
        taken = (
            RedeemableVoucher.objects.filter(pk=terms.voucher_id, active=True)
            .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
            .update(uses=F("uses") + 1)
        )
        limit = RedeemableVoucher.objects.filter(pk=terms.voucher_id).values_list("max_uses_per_customer", flat=True)
        per_customer = next(iter(limit), None)
        if not taken or (
            per_customer is not None and _used_by(terms.voucher_id, customer.id, customer.email) >= per_customer
        ):
            raise VoucherExhausted()
        VoucherRedemption.objects.create(
            voucher_id=terms.voucher_id,
            order=order,
            code=terms.code,
            customer_id=customer.id,
            email=customer.email.lower(),
            discount=outcome.discount.amount,
            currency=order.currency,
        )
        publish(
            VoucherRedeemed(
                voucher_id=terms.voucher_id,
                code=terms.code,
                order_id=order.pk,
                customer_id=customer.id,
                discount=outcome.discount,
            )
        )


# --- release ----------------------------------------------------------------------------
@transaction.atomic
def release(order_id: int, reason: str) -> int:
    """Give the order's uses back, exactly once however often the release is delivered.
    Returns how many were given back now."""
    held = list(
        VoucherRedemption.objects.select_for_update()
        .filter(order_id=order_id, released_at__isnull=True)
        .order_by("voucher_id")
    )
    now = timezone.now()
    for redemption in held:
        redemption.released_at, redemption.release_reason = now, reason[:30]
        redemption.save(update_fields=["released_at", "release_reason"])
        RedeemableVoucher.objects.filter(pk=redemption.voucher_id, uses__gt=0).update(uses=F("uses") - 1)
        publish(
            VoucherReleased(voucher_id=redemption.voucher_id, code=redemption.code, order_id=order_id, reason=reason)
        )
    return len(held)


def refuse_amendment(order: Order) -> None:
    """An order placed with a voucher is not amended: its discount was worked out for the
    lines it was placed with (cancel it, which gives the use back, and order again)."""
    if VoucherRedemption.objects.filter(order=order, released_at__isnull=True).exists():
        raise Conflict(
            "This order used a voucher and cannot be amended; cancel it and order again.",
            code="voucher_order_not_amendable",
        )
