"""Guests: a cart kept by its token until its shopper signs in, and orders placed with an
email address that become the customer's when they register with it.

Both arrive as other contexts' events (customers knows who signed in and who registered;
orders never reads its tables), each handled once in its own transaction.
"""

import logging

from django.db import transaction

from flowmart.contracts.orders import OrderClaimed
from flowmart.events import publish

from ..models import Cart, CartItem, Order
from .carts import MAX_QUANTITY, open_cart
from .lifecycle import note

logger = logging.getLogger("flowmart.orders")


@transaction.atomic
def merge_guest_cart(customer_id: int, token: str) -> Cart | None:
    """Move the guest cart's lines into the customer's open cart (a line of the same SKU
    grows, up to the per-line maximum; a line over the stock shows its warning) and close
    the guest cart, so its token opens nothing any more. Nothing to do for an unknown token."""
    guest = (
        Cart.objects.select_for_update().filter(token=token, customer_id__isnull=True, status=Cart.Status.OPEN).first()
    )
    if guest is None:
        return None
    mine, _ = open_cart(customer_id)
    mine = Cart.objects.select_for_update().get(pk=mine.pk)
    lines = {item.variant_id: item for item in CartItem.objects.filter(cart=mine)}
    if not lines and guest.currency:  # an empty cart takes the currency the guest shopped in
        mine.currency = guest.currency
    for item in CartItem.objects.filter(cart=guest).select_related("variant"):
        same = lines.get(item.variant_id)
        if same is not None:
            same.quantity = min(same.quantity + item.quantity, MAX_QUANTITY)
            same.save(update_fields=["quantity"])
            item.delete()
        else:
            item.cart = mine
            item.save(update_fields=["cart"])
    if not mine.shipping_country and guest.shipping_country:
        mine.shipping_country, mine.shipping_method = guest.shipping_country, guest.shipping_method
    mine.save(update_fields=["shipping_country", "shipping_method", "currency", "updated_at"])
    guest.status = Cart.Status.CLOSED
    guest.save(update_fields=["status", "updated_at"])
    return mine


@transaction.atomic
def claim_guest_orders(customer_id: int, email: str) -> list[int]:
    """The customer registered with the email of guest orders: they become theirs (listed at
    /orders/, their shipments visible) and every context that keeps an owner hears it."""
    orders = list(
        Order.objects.select_for_update().filter(customer_id__isnull=True, customer_email__iexact=email).order_by("pk")
    )
    for order in orders:
        order.customer_id = customer_id
        order.save(update_fields=["customer_id", "updated_at"])
        note(order, "claimed by the customer's new account")
        publish(OrderClaimed(order_id=order.pk, customer_id=customer_id, email=order.customer_email))
    if orders:
        logger.info("customer %s claimed %d guest order(s)", customer_id, len(orders))
    return [order.pk for order in orders]
