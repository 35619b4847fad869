"""Continuation: a worker's deliver task delivers the follow-ups its own deliveries published.

A checkout saga is a chain of steps (order confirmed → reserved → payment → paid → shipment),
each a delivery whose commit publishes the next step's events. Nudged one by one, every step
costs a Celery message: a send after COMMIT, a broker round trip, the worker's BRPOP, the
prefork pipe and Celery's trace of a new task — about a quarter of a worker's CPU, and a
round trip of latency per step.

While a deliver task runs in a real worker, the deliveries its commits create for the queue
that task was consumed from are held here instead of sent (relay.enqueue asks `hold`), and
the task delivers them itself right after its batch, one `deliver_many` per message it did
not send: the same batches, transactions, savepoints, claims and DELIVERED_ALONE as the
message would have had. Deliveries for other queues are nudged as before.

Bounded by EVENTS["CONTINUE_ROUNDS"] (batches delivered this way per task) and
EVENTS["CONTINUE_SECONDS"] (checked between batches), so one task cannot hold its worker
process on a long chain: what is still held then is nudged as usual. Nothing is lost if the
process dies meanwhile: a held delivery is a committed pending row, untouched here, and the
sweep resends it once due (SWEEP_GRACE_SECONDS after it was published), as it does a lost message.

Eager mode (tests, the embedded default) runs no continuation: there a nudge already delivers
in-process, synchronously. Tracing needs nothing of its own: a delivery's span is the child of
the span that published its event (the event's traceparent, not the message) and links to the
task span running it, which is this task's.
"""

import time
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass, field

from celery import current_app
from django.conf import settings

from . import relay


@dataclass(slots=True)
class _Chain:
    """The running task's queue and the batches it holds, each one message not sent."""

    queue: str
    default_queue: str
    held: deque = field(default_factory=deque)  # (delivery ids, their queue as the relay names it)


_running: ContextVar[_Chain | None] = ContextVar("flowmart_events_continuation", default=None)


def consumed_from(task) -> str | None:
    """The queue the running task's message came from, or None when it came from no broker
    (eager) or from an exchange whose routing key may not name the queue. The nudge and
    apply_async both publish to the anonymous exchange "", with the queue's name as routing key."""
    request = task.request
    info = request.delivery_info or {}
    if request.is_eager or task.app.conf.task_always_eager or info.get("exchange") != "":
        return None
    return info.get("routing_key") or None


def deliver(task, delivery_ids: list[int]) -> None:
    """The deliver task's body: continuing in a worker (with the bound above), plain otherwise."""
    queue = consumed_from(task)
    if queue is None or settings.EVENTS["CONTINUE_ROUNDS"] <= 0:
        relay.deliver_many(delivery_ids)
    else:
        deliver_from(queue, delivery_ids)


def deliver_from(queue: str, delivery_ids: list[int]) -> None:
    """Deliver a batch consumed from `queue`, then the batches its commits held for that
    queue, up to the bound. Whatever is still held when it stops is nudged."""
    chain = _Chain(queue, current_app.conf.task_default_queue)
    token = _running.set(chain)
    try:
        relay.deliver_many(delivery_ids)
        _continue(chain)
    finally:
        _running.reset(token)
        for ids, routed_to in chain.held:  # the bound was hit (or a batch raised): send them as messages
            relay.send(ids, routed_to)


def _continue(chain: _Chain) -> None:
    cfg = settings.EVENTS
    deadline = time.monotonic() + cfg["CONTINUE_SECONDS"]
    for _ in range(cfg["CONTINUE_ROUNDS"]):
        if not chain.held or time.monotonic() >= deadline:
            return
        ids, _routed_to = chain.held.popleft()
        relay.deliver_many(ids)


def hold(queue: str | None, delivery_ids: list[int]) -> bool:
    """Keep these deliveries (routed to `queue`, None: the default one) for the running task
    to deliver, if it was consumed from that queue: True if held, False to nudge them."""
    chain = _running.get()
    if chain is None or (queue or chain.default_queue) != chain.queue:
        return False
    for start in range(0, len(delivery_ids), relay.BATCH):  # one batch per message not sent
        chain.held.append((delivery_ids[start : start + relay.BATCH], queue))
    return True
