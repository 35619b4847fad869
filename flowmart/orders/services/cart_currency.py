"""Changing the currency of a cart (PATCH /api/v1/carts/{id}/ `{currency}`): its lines are
re-priced in the new currency, so every one of them must be sold in it (409
not_sold_in_currency naming those that are not; nothing changes then). A shipping method
without a rate in the new currency is dropped (the cart's totals then show no shipping
until one is chosen again). docs/currency.md."""

from django.db import transaction

from flowmart.common.errors import Conflict

from .. import currencies, pricing, selectors
from ..models import Cart
from ..selectors import Owner


@transaction.atomic
def change_currency(owner: Owner, cart_id, currency: str) -> Cart:
    cart = selectors.cart_of(owner, cart_id, lock=True)
    if cart.status != Cart.Status.OPEN:
        raise Conflict("This cart is closed.")
    items = selectors.cart_items(cart)
    missing = [item.variant_id for item in items if currencies.price_in(item.variant, currency) is None]
    if missing:
        raise currencies.NotSoldInCurrency(
            f"Not sold in {currency}: {', '.join(missing)}. Remove them first, or keep {cart.currency or 'the cart'}'s"
            " currency.",
            skus=missing,
            currency=currency,
        )
    cart.currency = currency
    fields = ["currency", "updated_at"]
    if cart.shipping_method and items:
        offer = pricing.quote(
            selectors.rate_methods(),
            cart.shipping_method,
            cart.shipping_country,
            selectors.cart_weight(items),
            currency,
        )
        if offer is None:
            cart.shipping_method = ""
            fields.append("shipping_method")
    cart.save(update_fields=fields)
    return cart
