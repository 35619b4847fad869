"""The currency of a cart and the prices of its lines in it (docs/currency.md).

A cart is in the currency chosen for it (Cart.currency, one of settings.SHOP_CURRENCIES),
or, when none was chosen, in its first line's currency (a single-currency shop never
chooses). A SKU is sold in a currency when the catalogue gave it a price there (its default
price or a price-list entry, kept in SellableVariant.prices): never a conversion. Lines are
read with their price in the cart's currency (`quote`), so totals, checkout and the order
are all in it; a SKU without a price in it cannot be added (409 not_sold_in_currency).
"""

from decimal import Decimal

from django.conf import settings

from flowmart.common.errors import Conflict, InvalidRequest
from flowmart.common.money import Money

from .models import Cart, CartItem, SellableVariant


class NotSoldInCurrency(Conflict):
    default_code = "not_sold_in_currency"
    default_detail = "This SKU has no price in the cart's currency."


def price_list(prices) -> dict[str, str]:
    """Money values (events' `prices`) as stored in SellableVariant.prices."""
    return {money.currency: str(money.amount) for money in prices}


def price_in(variant: SellableVariant, currency: str) -> Money | None:
    """The variant's price in `currency`, None when the catalogue gave it none there."""
    if currency in (variant.prices or {}):
        return Money(Decimal(variant.prices[currency]), currency)
    if not variant.prices and variant.currency == currency:  # a copy from before price lists
        return variant.price
    return None


def quote(variant: SellableVariant, currency: str) -> bool:
    """Let this in-memory copy show its price in `currency` (price_amount, currency, price);
    never saved. False (and unchanged) when it is not sold in `currency`."""
    price = price_in(variant, currency)
    if price is None:
        return False
    variant.price_amount, variant.currency = price.amount, price.currency
    return True


def of_cart(cart: Cart, items: list[CartItem]) -> str:
    """The cart's currency: chosen, else its first line's, else the shop's default."""
    if cart.currency:
        return cart.currency
    return items[0].variant.currency if items else settings.DEFAULT_CURRENCY


def quote_items(cart: Cart, items: list[CartItem]) -> list[CartItem]:
    """Every line priced in the cart's chosen currency. A line whose SKU lost its price there
    (a price-list entry removed after it was added) is shown as not for sale: active False and
    a zero price in memory, `currency_problem` set; checkout refuses it (409 not_sold_in_currency)."""
    if not cart.currency:
        return items
    for item in items:
        if not quote(item.variant, cart.currency):
            item.currency_problem = f"{item.variant_id} is not sold in {cart.currency} any more."
            item.variant.active, item.variant.price_amount, item.variant.currency = False, Decimal(0), cart.currency
    return items


def check_can_add(cart: Cart, items: list[CartItem], variant: SellableVariant) -> None:
    """Before adding a SKU: priced in the chosen currency (quoted), or, in a cart without a
    chosen currency, in the currency of the lines already there."""
    if cart.currency:
        if not quote(variant, cart.currency):
            raise NotSoldInCurrency(
                f"{variant.sku} has no price in {cart.currency}, the cart's currency.",
                sku=variant.sku,
                currency=cart.currency,
            )
        return
    if any(item.variant.currency != variant.currency for item in items):
        problem = f"{variant.sku} is priced in {variant.currency}; the cart is in {items[0].variant.currency}."
        raise InvalidRequest("A cart holds one currency.", fields={"sku": [problem]})


def check_sold_in(cart: Cart, items: list[CartItem]) -> None:
    """At checkout: every line still has a price in the cart's currency."""
    missing = [item.variant_id for item in items if getattr(item, "currency_problem", None)]
    if missing:
        raise NotSoldInCurrency(
            f"Not sold in {cart.currency}: {', '.join(missing)}. Remove them or change the cart's currency.",
            skus=missing,
            currency=cart.currency,
        )
