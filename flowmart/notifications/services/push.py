"""Web Push subscriptions: a browser's PushSubscription, registered by its customer."""

from __future__ import annotations

from django.db import transaction

from ..models import PushSubscription


def register(
    customer_id: int, *, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> tuple[PushSubscription, bool]:
    """Upsert by endpoint: a browser that subscribes again (or is now used by another
    customer, who logged in on it) keeps one row, owned by whoever registered it last."""
    with transaction.atomic():
        created = not PushSubscription.objects.filter(endpoint=endpoint).exists()
        PushSubscription.objects.bulk_create(
            [PushSubscription(customer_id=customer_id, endpoint=endpoint, p256dh=p256dh, auth=auth)],
            ignore_conflicts=True,
        )
        sub = PushSubscription.objects.select_for_update().get(endpoint=endpoint)
        sub.customer_id, sub.p256dh, sub.auth = customer_id, p256dh, auth
        sub.user_agent, sub.active, sub.gone_at = user_agent[:300], True, None
        sub.save()
    return sub, created


def unregister(sub: PushSubscription) -> None:
    with transaction.atomic():
        sub.delete()
