"""publish(): write events to the outbox in the caller's transaction."""

import json
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from flowmart.common import tracing
from flowmart.common.bulk import copy_insert

from . import relay
from .base import Event
from .models import Delivery, OutboxEvent
from .registry import subscribers_for

BULK_THRESHOLD = 20  # events per publish() from which the rows are written with COPY


def _publish_many(events, due) -> None:
    """The same rows as below, written with COPY (a billing run publishes hundreds at once)."""
    now = timezone.now()
    event_ids = copy_insert(
        OutboxEvent,
        ["event_id", "name", "version", "publisher", "correlation_id", "causation_id", "occurred_at", "payload",
         "created_at"],
        [
            (ev.event_id, ev.name, ev.version, ev.publisher, ev.correlation_id, ev.causation_id, ev.occurred_at,
             json.dumps(ev.to_dict()), now)
            for ev in events
        ],
    )  # fmt: skip
    rows = [
        (pk, sub.name, Delivery.Status.PENDING, 0, due, "", now)
        for ev, pk in zip(events, event_ids, strict=True)
        for sub in subscribers_for(ev.name)
        if sub.wants(ev)
    ]
    ids = copy_insert(
        Delivery, ["event_id", "subscriber", "status", "attempts", "next_attempt_at", "last_error", "created_at"], rows
    )
    if ids:
        names = [row[1] for row in rows]
        transaction.on_commit(lambda: relay.enqueue(ids, names))


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
    tracing.published(events)  # a no-op unless tracing is on
    if len(events) >= BULK_THRESHOLD:
        return _publish_many(events, due)
    # One INSERT for all the events.
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
        if sub.wants(ev)
    ]
    if deliveries:
        ids = [d.pk for d in Delivery.objects.bulk_create(deliveries)]
        names = [d.subscriber for d in deliveries]
        transaction.on_commit(lambda: relay.enqueue(ids, names))
