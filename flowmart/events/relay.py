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

from flowmart.common.correlation import correlation

from .models import Delivery, InboxRecord
from .registry import subscriber

logger = logging.getLogger("flowmart.events")

BATCH = 50


def enqueue(delivery_ids: list[int]) -> None:
    """Hand deliveries to Celery. Never raises: a lost message is the sweep's job."""
    from .tasks import deliver

    for start in range(0, len(delivery_ids), BATCH):
        chunk = delivery_ids[start : start + BATCH]
        try:
            deliver.apply_async(args=[chunk])
        except Exception as exc:  # broker down: the rows stay pending and the sweep resends them
            logger.warning("could not enqueue %d deliveries (%s); the sweep will resend", len(chunk), exc)


def deliver_many(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        deliver(delivery_id)


def deliver(delivery_id: int) -> str:
    """Run one subscriber for one event in its own transaction. Returns the new status."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .first()
        )
        if delivery is None:  # done, dead, or another worker holds it right now
            return "skipped"
        event = delivery.event.to_event()
        with correlation(event.correlation_id, str(event.event_id)):
            if InboxRecord.objects.filter(event_id=event.event_id, subscriber=delivery.subscriber).exists():
                return _finish(delivery, "already processed")
            try:
                with transaction.atomic():
                    InboxRecord.objects.create(event_id=event.event_id, subscriber=delivery.subscriber)
                    subscriber(delivery.subscriber).handler(event)
            except Exception as exc:
                return _fail(delivery, exc)
            return _finish(delivery)


def _finish(delivery: Delivery, note: str = "") -> str:
    delivery.status = Delivery.Status.DONE
    delivery.attempts += 1
    delivery.delivered_at = timezone.now()
    delivery.last_error = note
    delivery.save(update_fields=["status", "attempts", "delivered_at", "last_error"])
    return delivery.status


def _fail(delivery: Delivery, exc: Exception) -> str:
    cfg = settings.EVENTS
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
