"""The causal story of an action, for people: what `manage.py events trace` prints, as rows
an admin page can render (event names, publishers, times and who received them; no UUIDs).

`for_order` finds an order's stories from the events that name it (`payload.order_id`) and
returns every event of their correlation ids, bounded: an order page stays one query or two
however long the order's life was, and the first one is served by the outbox's expression
index on the payload's order_id (events migration 0002), however long the outbox is."""

from dataclasses import dataclass, field
from datetime import datetime

from .models import OutboxEvent

MAX_EVENTS = 300
MAX_STORIES = 20


@dataclass
class StoryLine:
    name: str
    publisher: str
    at: datetime
    depth: int
    correlation_id: str
    event_id: str
    deliveries: list[tuple[str, str, int, str]] = field(default_factory=list)  # subscriber, status, tries, error


def lines(events) -> list[StoryLine]:
    """Events (ordered by id, deliveries prefetched) as indented lines: an event caused by
    another sits one level under it."""
    depth: dict[str, int] = {}
    out = []
    for ev in events:
        level = depth.get(ev.causation_id, -1) + 1
        depth[str(ev.event_id)] = level
        deliveries = [
            (d.subscriber, d.status, d.attempts, d.last_error if d.status != "done" else "")
            for d in ev.deliveries.all()
        ]
        out.append(
            StoryLine(ev.name, ev.publisher, ev.occurred_at, level, ev.correlation_id, str(ev.event_id), deliveries)
        )
    return out


def trace(correlation_id: str, limit: int | None = MAX_EVENTS) -> list[StoryLine]:
    events = OutboxEvent.objects.filter(correlation_id=correlation_id).prefetch_related("deliveries").order_by("id")
    return lines(events[:limit] if limit else events)


def naming_order(order_id: int):
    """The correlation ids of the events naming the order, oldest first: an index range scan
    of `outbox_order_idx` (payload -> 'order_id', id), not a walk of the whole outbox."""
    return (
        OutboxEvent.objects.filter(payload__order_id=order_id)
        .order_by("id")
        .values_list("correlation_id", flat=True)[:MAX_EVENTS]
    )


def for_order(order_id: int) -> list[StoryLine]:
    """Every story that touched the order: checkout, payment, shipping, refunds, staff actions."""
    wanted = list(dict.fromkeys(naming_order(order_id)))[:MAX_STORIES]
    events = OutboxEvent.objects.filter(correlation_id__in=wanted).prefetch_related("deliveries").order_by("id")
    return lines(events[:MAX_EVENTS])
