"""Celery tasks: sending (nudged after commit) and the beat jobs (sweep, digests)."""

from celery import shared_task

from .services import sending, staff_messages


@shared_task(name="flowmart.notifications.tasks.send_messages")
def send_messages(message_ids: list[int]) -> None:
    sending.send_many(message_ids)


@shared_task(name="flowmart.notifications.tasks.sweep_messages")
def sweep_messages() -> dict:
    return sending.sweep()


@shared_task(name="flowmart.notifications.tasks.send_stock_digests")
def send_stock_digests() -> int:
    return staff_messages.send_stock_digests()


@shared_task(name="flowmart.notifications.tasks.report_dead_deliveries")
def report_dead_deliveries() -> int:
    return staff_messages.report_dead_deliveries()
