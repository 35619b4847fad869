"""Which sales channel a cart sells through (settings.ORDERS_CHANNELS): it decides whether
the cart's prices include tax. Chosen when the cart is opened (POST /carts/ with `channel`);
the order placed from the cart keeps it."""

from django.db import transaction

from flowmart.common.errors import InvalidRequest

from ..channels import is_channel
from ..models import Cart


def check_channel(code: str) -> str:
    if not is_channel(code):
        raise InvalidRequest("Unknown sales channel.", fields={"channel": [f"{code!r} is not a sales channel."]})
    return code


@transaction.atomic
def choose_channel(cart: Cart, code: str) -> Cart:
    """Put an open cart in channel `code` (its prices are read again in that channel's way)."""
    check_channel(code)
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    if cart.status == Cart.Status.OPEN and cart.channel != code:
        cart.channel = code
        cart.save(update_fields=["channel", "updated_at"])
    return cart
