"""publish(): write events to the outbox in the caller's transaction."""

import functools
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
    if transaction.get_connection().vendor == "postgresql":
        return _publish_in_one_statement(events, due)
    _publish_with_orm(events, due)


def _publish_in_one_statement(events, due) -> None:
    """The outbox rows and their deliveries in one INSERT ... RETURNING (the deliveries read
    the outbox rows' ids from a CTE), each payload encoded to JSON once: one round trip per
    publish() instead of two, and none of the ORM's per-object work. The deliveries are
    inserted in publishing order (event, then subscriber), as bulk_create gave them their ids:
    a task delivers in id order."""
    now = timezone.now()
    params = []
    for ev in events:
        params += [ev.event_id, ev.name, ev.version, ev.publisher, ev.correlation_id, ev.causation_id,
                   ev.occurred_at, json.dumps(ev.to_dict()), now]  # fmt: skip
    wanted_events, wanted_subscribers = [], []
    for ev in events:
        for sub in subscribers_for(ev.name):
            if sub.wants(ev):
                wanted_events.append(ev.event_id)
                wanted_subscribers.append(sub.name)
    outbox_sql, deliveries_sql = _statements()
    outbox = outbox_sql + ", ".join([_OUTBOX_ROW] * len(events))
    with transaction.get_connection().cursor() as cursor:
        if not wanted_events:
            cursor.execute(outbox, params)
            return
        cursor.execute(
            f"WITH outbox AS ({outbox} RETURNING id, event_id) {deliveries_sql}",
            [*params, _PENDING, due, now, wanted_events, wanted_subscribers],
        )
        rows = cursor.fetchall()
    ids, names = [row[0] for row in rows], [row[1] for row in rows]
    transaction.on_commit(lambda: relay.enqueue(ids, names))


_OUTBOX_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s)"
_PENDING = Delivery.Status.PENDING.value


@functools.cache
def _statements() -> tuple[str, str]:
    """The outbox INSERT (its VALUES rows to be appended) and the deliveries' INSERT reading the
    CTE `outbox`. The deliveries travel as two arrays (event ids, subscriber ids), numbered by
    WITH ORDINALITY: two parameters instead of three per delivery, each of which psycopg
    would quote on its own."""
    outbox = OutboxEvent._meta.db_table
    columns = ", ".join(
        OutboxEvent._meta.get_field(name).column
        for name in ("event_id", "name", "version", "publisher", "correlation_id", "causation_id", "occurred_at",
                     "payload", "created_at")
    )  # fmt: skip
    deliveries = Delivery._meta.db_table
    return (
        f'INSERT INTO "{outbox}" ({columns}) VALUES ',
        f'INSERT INTO "{deliveries}" (event_id, subscriber, status, attempts, next_attempt_at, last_error, created_at) '
        "SELECT outbox.id, wanted.subscriber, %s, 0, %s, '', %s "
        "FROM unnest(%s::uuid[], %s::varchar[]) WITH ORDINALITY AS wanted (event_id, subscriber, n) "
        "JOIN outbox ON outbox.event_id = wanted.event_id ORDER BY wanted.n RETURNING id, subscriber",
    )


def _publish_with_orm(events, due) -> None:
    """SQLite (the embedded default): the same rows, with bulk_create."""
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
