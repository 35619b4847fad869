from celery import shared_task

from . import relay


@shared_task(name="flowmart.events.tasks.deliver")
def deliver(delivery_ids: list[int]) -> None:
    relay.deliver_many(delivery_ids)


@shared_task(name="flowmart.events.tasks.sweep")
def sweep() -> int:
    return relay.sweep()
