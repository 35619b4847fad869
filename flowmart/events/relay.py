"""Delivery of outbox events to subscribers: at-least-once, effects exactly once.

enqueue() is the fast nudge after commit; sweep() is the durable path that
re-sends whatever is due (lost messages, broker down at commit, retries after a
failure). deliver_many() runs a task's deliveries a few to a transaction, each in
a savepoint with its inbox row, so one failing subscriber rolls back alone.
"""

import functools
import json
import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from flowmart.common import tracing
from flowmart.common.correlation import correlation

from . import claims, continuation, nudge
from .base import Event
from .models import Delivery, OutboxEvent
from .registry import subscriber
from .savepoints import Savepoint

logger = logging.getLogger("flowmart.events")

BATCH = 50


def enqueue(delivery_ids: list[int], subscribers: list[str] | None = None) -> None:
    """Hand deliveries to Celery, each on its context's queue (settings.EVENTS["QUEUES"]),
    unless the worker task that published them delivers them itself (continuation.py).
    `subscribers` names each delivery's subscriber when the caller has them at hand.
    Never raises: a lost message is the sweep's job."""
    for queue, ids in _by_queue(delivery_ids, subscribers).items():
        if not continuation.hold(queue, ids):
            send(ids, queue)


def send(delivery_ids: list[int], queue: str | None) -> None:
    """Nudge deliveries of one queue (None: the default), a message per BATCH. Never raises."""
    from .tasks import deliver

    for start in range(0, len(delivery_ids), BATCH):
        chunk = delivery_ids[start : start + BATCH]
        try:
            nudge.send(deliver, chunk, queue)  # apply_async's message, built for this one task
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
    """Deliver a batch: one read for the whole batch (each event parsed once), then the
    deliveries in shared transactions of up to EVENTS["DELIVERIES_PER_TRANSACTION"], each
    delivery in a savepoint of its own (_deliver_together). Deliveries of the subscribers
    in EVENTS["DELIVERED_ALONE"] get a transaction each, after the shared ones.
    Returns {delivery id: "done" | "pending" | "dead" | "skipped"}."""
    results = {pk: "skipped" for pk in delivery_ids}
    events, together, alone = {}, [], []
    for delivery, payload in _read_pending(delivery_ids):
        try:
            if delivery.event_id not in events:
                events[delivery.event_id] = Event.from_dict(
                    json.loads(payload) if isinstance(payload, str) else payload
                )
        except Exception as exc:  # an unreadable payload (unknown event, broken contract): retry, then dead
            results[delivery.pk] = _fail(delivery.pk, exc)
            continue
        (alone if _delivered_alone(delivery.subscriber) else together).append((delivery, events[delivery.event_id]))
    size = max(1, settings.EVENTS["DELIVERIES_PER_TRANSACTION"])
    for start in range(0, len(together), size):
        results.update(_deliver_together(together[start : start + size]))
    for delivery, event in alone:
        results[delivery.pk] = _deliver_one(delivery, event)
    return results


@dataclass(slots=True)
class Pending:
    """A pending delivery, as the batch read returns it: what delivering it needs."""

    pk: int
    subscriber: str
    event_id: int  # the outbox row's id


def _read_pending(delivery_ids: list[int]) -> list[tuple[Pending, object]]:
    """The batch's pending deliveries in id order, each with its event's stored payload, in
    one plain statement: the ORM's query building and two model instances per row were a
    quarter of a delivery's CPU. By primary key only, the status checked here: with
    `status = 'pending'` in the WHERE clause PostgreSQL may pick the partial "due" index,
    full of entries not yet vacuumed."""
    connection = transaction.get_connection()
    ids = ", ".join(["%s"] * len(delivery_ids))
    with connection.cursor() as cursor:
        cursor.execute(_batch_statement().format(ids=ids), list(delivery_ids))
        rows = cursor.fetchall()
    pending = Delivery.Status.PENDING.value
    return [(Pending(pk, name, event_pk), payload) for pk, name, status, event_pk, payload in rows if status == pending]


@functools.cache
def _batch_statement() -> str:
    deliveries, outbox = f'"{Delivery._meta.db_table}"', f'"{OutboxEvent._meta.db_table}"'
    return (
        f"SELECT d.id, d.subscriber, d.status, d.event_id, e.payload FROM {deliveries} d "
        f"JOIN {outbox} e ON e.id = d.event_id WHERE d.id IN ({{ids}}) ORDER BY d.id"
    )


def deliver(delivery_id: int) -> str:
    """Run one subscriber for one event in its own transaction. Returns the new status."""
    return deliver_many([delivery_id])[delivery_id]


def _delivered_alone(subscriber_name: str) -> bool:
    """Named in EVENTS["DELIVERED_ALONE"], by context ("payments") or by subscriber id."""
    alone = settings.EVENTS["DELIVERED_ALONE"]
    return subscriber_name in alone or subscriber_name.split(".", 1)[0] in alone


class BatchPoisoned(RuntimeError):
    """The shared transaction can no longer commit (or cannot be trusted to)."""


# Errors that are not one subscriber's: deadlock detected, serialization failure, lock or
# statement timeout, a lost connection. The whole shared transaction goes, not one savepoint.
POISONING = (OperationalError, InterfaceError)


def _deliver_together(chunk: list[tuple[Pending, object]]) -> dict[int, str]:
    """Deliver several deliveries in one transaction, each in its own savepoint.

    Each savepoint holds one delivery's claim, inbox row and effects; a handler that raises
    rolls back its savepoint alone (with the on_commit callbacks registered inside it: Django
    discards them), then its failure is recorded in the same transaction. The claim, the
    inbox row and the effects of every delivery still commit together, or not at all.

    The trade-off, and why a chunk is small (EVENTS["DELIVERIES_PER_TRANSACTION"], default
    10): one commit instead of one per delivery, but every row lock an early delivery takes
    (a hot SKU's stock row, an order's projection) is held until the last one is done, and
    its effects become visible (and its events are enqueued) only then. PostgreSQL also
    keeps at most 64 subtransaction ids per backend in shared memory; past that every
    snapshot in the cluster gets slower, and handlers open savepoints of their own.
    1 restores one transaction per delivery.

    An error that spoils the whole transaction (POISONING above, a failed savepoint
    rollback, a deferred constraint failing at COMMIT) rolls everything back; the chunk is
    then delivered again one transaction per delivery, so each succeeds or fails alone."""
    if len(chunk) == 1:
        delivery, event = chunk[0]
        return {delivery.pk: _deliver_one(delivery, event)}
    try:
        with transaction.atomic():
            outcomes = {delivery.pk: _deliver_in_savepoint(delivery, event) for delivery, event in chunk}
            _stamp_delivered([pk for pk, status in outcomes.items() if status == Delivery.Status.DONE])
        return outcomes
    except (DatabaseError, InterfaceError, BatchPoisoned) as exc:
        logger.warning(
            "%d deliveries delivered together were rolled back (%s: %s); delivering each alone",
            len(chunk),
            type(exc).__name__,
            exc,
        )
        return {delivery.pk: _deliver_one(delivery, event) for delivery, event in chunk}


def _deliver_in_savepoint(delivery: Pending, event) -> str:
    with correlation(event.correlation_id, str(event.event_id)):
        try:
            with Savepoint() as savepoint:  # atomic(); its SAVEPOINT goes with the claim, no RELEASE
                status = _run(delivery, event, savepoint)
        except POISONING:
            raise
        except Exception as exc:
            if transaction.get_rollback():  # the savepoint could not be rolled back
                raise BatchPoisoned(f"{type(exc).__name__}: {exc}") from exc
            return _fail(delivery.pk, exc)
        return status


def _deliver_one(delivery: Pending, event) -> str:
    """One delivery in a transaction of its own. A failure rolls everything back and is
    then recorded in a transaction of its own (_fail)."""
    with correlation(event.correlation_id, str(event.event_id)):
        try:
            with transaction.atomic():
                return _run(delivery, event)
        except Exception as exc:
            return _fail(delivery.pk, exc)


def _run(delivery: Pending, event, savepoint: Savepoint | None = None) -> str:
    """Claim the delivery, record the inbox row and run the subscriber, in the caller's
    transaction or savepoint: either all three commit or none does. The claim is the
    savepoint's first statement and sends it (savepoints.py)."""
    claimed, recorded = claims.claim_and_record(delivery.pk, event.event_id, delivery.subscriber, savepoint)
    if not claimed:
        return "skipped"  # done or dead meanwhile (another worker, a replay)
    if not recorded:
        # The effect already happened (the delivery row lost its "done"): no second one.
        Delivery.objects.filter(pk=delivery.pk).update(last_error="already processed")
        return Delivery.Status.DONE
    with tracing.delivery_span(event, delivery.subscriber):  # a no-op unless tracing is on
        subscriber(delivery.subscriber).handler(event)
    if transaction.get_rollback():
        # The handler caught a database error inside atomic(savepoint=False): its block
        # would be rolled back silently on the way out, claim and inbox row with it.
        raise RuntimeError("the subscriber swallowed a database error; its transaction is marked for rollback")
    return Delivery.Status.DONE


def _stamp_delivered(delivery_ids: list[int]) -> None:
    """delivered_at as the last handler of the shared transaction finishes, not as each was
    claimed: the deliveries become visible together, at this transaction's commit."""
    if not delivery_ids:
        return
    connection = transaction.get_connection()  # plain SQL: the ORM's UPDATE compiler cost more than the rest
    stamped = claims.prep_datetime(Delivery, "delivered_at", timezone.now(), connection)
    ids = ", ".join(["%s"] * len(delivery_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{Delivery._meta.db_table}" SET delivered_at = %s WHERE id IN ({ids})', [stamped, *delivery_ids]
        )


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
