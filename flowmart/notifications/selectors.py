"""Reads of the notifications context."""

from .models import Message, PushSubscription


def messages_of(customer_id: int):
    """A customer's own message history, newest first (never anyone else's)."""
    return Message.objects.filter(customer_id=customer_id).order_by("-id")


def push_subscriptions_of(customer_id: int):
    return PushSubscription.objects.filter(customer_id=customer_id, active=True).order_by("id")
