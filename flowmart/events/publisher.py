"""publish(): write events to the outbox in the caller's transaction."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import relay
from .base import Event
from .models import Delivery, OutboxEvent
from .registry import subscribers_for


class PublishOutsideTransaction(RuntimeError):
    """publish() was called with no transaction open: the event could commit
    without its state change, or the state change without its event."""


def publish(*events: Event) -> None:
    """Record events and their deliveries; they are handed to Celery after commit.

    Must run inside `transaction.atomic()`. If the transaction rolls back, the
    events never existed. If the broker is down at commit, the rows stay pending
    and the sweep delivers them later.
    """
    if not transaction.get_connection().in_atomic_block:
        raise PublishOutsideTransaction(
            "publish() must be called inside transaction.atomic(), in the same transaction as the state change"
        )
    due = timezone.now() + timedelta(seconds=settings.EVENTS["SWEEP_GRACE_SECONDS"])
    # One INSERT for all the events (a billing run publishes hundreds per transaction).
    rows = OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                event_id=ev.event_id,
                name=ev.name,
                version=ev.version,
                publisher=ev.publisher,
                correlation_id=ev.correlation_id,
                causation_id=ev.causation_id,
                occurred_at=ev.occurred_at,
                payload=ev.to_dict(),
            )
            for ev in events
        ]
    )
    deliveries = [
        Delivery(event=row, subscriber=sub.name, next_attempt_at=due)
        for ev, row in zip(events, rows, strict=True)
        for sub in subscribers_for(ev.name)
    ]
    if deliveries:
        ids = [d.pk for d in Delivery.objects.bulk_create(deliveries)]
        transaction.on_commit(lambda: relay.enqueue(ids))
