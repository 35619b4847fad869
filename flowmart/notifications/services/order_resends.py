"""Resends operations ask for from an order's page (NotificationResendRequested): orders
keeps who, when and why; here the order's latest message of the asked type, on each channel
and to each recipient it went to, is sent again through `sending.resend` as a new message.

The request's event id is the resend's key, so a redelivered or replayed request resends
nothing more. A message still pending or being sent is left alone (it is about to go)."""

import logging

from ..models import Message, OrderCopy
from . import sending

logger = logging.getLogger("flowmart.notifications")


def latest_of_order(order_id: int, message_type: str) -> list[int]:
    """The newest original (not itself a resend) per recipient and channel. The customer's
    index narrows the search when the order's copy names the customer."""
    messages = Message.objects.filter(message_type=message_type, context__order__id=order_id, resend_of__isnull=True)
    order = OrderCopy.objects.filter(order_id=order_id).first()
    if order is not None and order.customer_id is not None:
        messages = messages.filter(customer_id=order.customer_id)
    newest: dict[tuple[str, str], int] = {}
    for pk, recipient, channel in messages.order_by("-id").values_list("pk", "recipient_key", "channel")[:50]:
        newest.setdefault((recipient, channel), pk)
    return list(newest.values())


def resend_for_order(ev) -> list[int]:
    originals = latest_of_order(ev.order_id, ev.message_type)
    if not originals:
        logger.warning("order %s: no %s message to resend (asked by %s)", ev.order_id, ev.message_type, ev.requested_by)
        return []
    queryset = Message.objects.filter(pk__in=originals)
    return sending.resend(queryset, requested_by=ev.requested_by, key=str(ev.event_id))
