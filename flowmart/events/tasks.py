from celery import shared_task

from . import continuation, relay


@shared_task(name="flowmart.events.tasks.deliver", bind=True)
def deliver(self, delivery_ids: list[int]) -> None:
    """The batch, then (in a worker) the follow-ups its commits published for this queue."""
    continuation.deliver(self, delivery_ids)


@shared_task(name="flowmart.events.tasks.sweep")
def sweep() -> int:
    return relay.sweep()
