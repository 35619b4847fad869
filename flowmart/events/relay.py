"""Delivery of outbox events to subscribers: at-least-once, effects exactly once.

enqueue() is the fast nudge after commit; sweep() is the durable path that
re-sends whatever is due (lost messages, broker down at commit, retries after a
failure). deliver() runs one subscriber per transaction, guarded by the inbox.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from flowmart.common import tracing
from flowmart.common.correlation import correlation

from .models import Delivery, InboxRecord
from .registry import subscriber

logger = logging.getLogger("flowmart.events")

BATCH = 50


def enqueue(delivery_ids: list[int], subscribers: list[str] | None = None) -> None:
    """Hand deliveries to Celery, each on its context's queue (settings.EVENTS["QUEUES"]).
    `subscribers` names each delivery's subscriber when the caller has them at hand.
    Never raises: a lost message is the sweep's job."""
    from .tasks import deliver

    for queue, ids in _by_queue(delivery_ids, subscribers).items():
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            try:
                deliver.apply_async(args=[chunk], **({"queue": queue} if queue else {}))
            except Exception as exc:  # broker down: the rows stay pending and the sweep resends them
                logger.warning("could not enqueue %d deliveries (%s); the sweep will resend", len(chunk), exc)


def queue_for(subscriber_name: str) -> str | None:
    """The Celery queue a subscriber's deliveries go to: its context's, if configured (None: the default)."""
    return settings.EVENTS["QUEUES"].get(subscriber_name.split(".", 1)[0])


def _by_queue(delivery_ids: list[int], subscribers: list[str] | None) -> dict[str | None, list[int]]:
    if not settings.EVENTS["QUEUES"]:
        return {None: list(delivery_ids)} if delivery_ids else {}
    if subscribers is None:
        names = dict(Delivery.objects.filter(pk__in=delivery_ids).values_list("pk", "subscriber"))
        subscribers = [names.get(pk, "") for pk in delivery_ids]
    groups: dict[str | None, list[int]] = {}
    for pk, name in zip(delivery_ids, subscribers, strict=True):
        groups.setdefault(queue_for(name), []).append(pk)
    return groups


def deliver_many(delivery_ids: list[int]) -> dict[int, str]:
    """Deliver a batch: one read for the whole batch (each event parsed once), then one
    short transaction per delivery. Returns {delivery id: "done" | "pending" | "dead" | "skipped"}."""
    results = {pk: "skipped" for pk in delivery_ids}
    # By primary key only, the status checked here: with `status = 'pending'` in the WHERE
    # clause PostgreSQL may pick the partial "due" index, full of entries not yet vacuumed.
    batch = Delivery.objects.select_related("event").filter(pk__in=delivery_ids).order_by("pk")
    events = {}
    for delivery in (d for d in batch if d.status == Delivery.Status.PENDING):
        try:
            if delivery.event_id not in events:
                events[delivery.event_id] = delivery.event.to_event()
        except Exception as exc:  # an unreadable payload (unknown event, broken contract): retry, then dead
            results[delivery.pk] = _fail(delivery.pk, exc)
            continue
        results[delivery.pk] = _deliver_one(delivery, events[delivery.event_id])
    return results


def deliver(delivery_id: int) -> str:
    """Run one subscriber for one event in its own transaction. Returns the new status."""
    return deliver_many([delivery_id])[delivery_id]


def _deliver_one(delivery: Delivery, event) -> str:
    """Claim the delivery, record the inbox row and run the subscriber, all in one
    transaction: either all three commit or none does. A failure rolls everything
    back and is then recorded in a transaction of its own (_fail)."""
    with correlation(event.correlation_id, str(event.event_id)):
        try:
            with transaction.atomic():
                if not _claim(delivery.pk):
                    return "skipped"  # done or dead meanwhile (another worker, a replay)
                if not _record_inbox(event.event_id, delivery.subscriber):
                    # The effect already happened (the delivery row lost its "done"): no second one.
                    Delivery.objects.filter(pk=delivery.pk).update(last_error="already processed")
                    return Delivery.Status.DONE
                with tracing.delivery_span(event, delivery.subscriber):  # a no-op unless tracing is on
                    subscriber(delivery.subscriber).handler(event)
        except Exception as exc:
            return _fail(delivery.pk, exc)
        return Delivery.Status.DONE


def _claim(delivery_id: int) -> bool:
    """Mark a pending delivery done, inside the delivering transaction. The UPDATE's row
    lock makes a concurrent copy of the same message wait, then find it no longer pending.
    Plain SQL: this runs once per delivery, and the ORM's query building was a fifth of it."""
    connection = transaction.get_connection()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    delivered_at = Delivery._meta.get_field("delivered_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, attempts = attempts + 1, delivered_at = %s, last_error = '' "
            "WHERE id = %s AND status = %s",
            [Delivery.Status.DONE.value, delivered_at, delivery_id, Delivery.Status.PENDING.value],
        )
        return cursor.rowcount == 1


def _record_inbox(event_id, subscriber_name: str) -> bool:
    """Insert the inbox row unless it exists; False if the subscriber already handled the event.
    (ON CONFLICT DO NOTHING, so a duplicate does not abort the transaction; PostgreSQL and SQLite.)"""
    connection = transaction.get_connection()
    field = InboxRecord._meta.get_field
    table = connection.ops.quote_name(InboxRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (event_id, subscriber, processed_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [
                field("event_id").get_db_prep_value(event_id, connection),
                subscriber_name,
                field("processed_at").get_db_prep_value(timezone.now(), connection),
            ],
        )
        return cursor.rowcount == 1


def _fail(delivery_id: int, exc: Exception) -> str:
    """Count the failed attempt and schedule the next one (or declare the delivery dead)."""
    cfg = settings.EVENTS
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("event")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .first()
        )
        if delivery is None:  # delivered by another worker in the meantime
            return "skipped"
        delivery.attempts += 1
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if delivery.attempts >= cfg["MAX_ATTEMPTS"]:
            delivery.status = Delivery.Status.DEAD
            logger.error(
                "delivery %s to %s is dead after %d attempts: %s",
                delivery.event.event_id,
                delivery.subscriber,
                delivery.attempts,
                delivery.last_error,
            )
        else:
            delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
            logger.warning(
                "delivery %s to %s failed (attempt %d): %s",
                delivery.event.event_id,
                delivery.subscriber,
                delivery.attempts,
                delivery.last_error,
            )
        delivery.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
        return delivery.status


def backoff(attempts: int) -> timedelta:
    """Exponential with a cap and ±10% jitter, so failing deliveries don't retry in lockstep."""
    cfg = settings.EVENTS
    seconds = min(cfg["BACKOFF_CAP_SECONDS"], cfg["BACKOFF_BASE_SECONDS"] * 2 ** (attempts - 1))
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def sweep(limit: int = 1000) -> int:
    """Re-send every pending delivery that is due. Safe to run twice at once:
    rows are claimed with SKIP LOCKED and pushed back by the grace period."""
    now = timezone.now()
    grace = timedelta(seconds=settings.EVENTS["SWEEP_GRACE_SECONDS"])
    with transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if due:
            Delivery.objects.filter(pk__in=due).update(next_attempt_at=now + grace)
            transaction.on_commit(lambda: enqueue(due))
    return len(due)


def replay(deliveries) -> int:
    """Give dead deliveries a fresh set of attempts. The inbox still guards against a second effect."""
    with transaction.atomic():
        ids = list(deliveries.select_for_update().filter(status=Delivery.Status.DEAD).values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.PENDING, attempts=0, last_error="", next_attempt_at=timezone.now()
        )
        transaction.on_commit(lambda: enqueue(ids))
    return len(ids)
