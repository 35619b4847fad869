"""Beat jobs of the orders context."""

from celery import shared_task

from .services import checkout


@shared_task(name="flowmart.orders.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget checkout keys older than the replay window (safe to run twice at once)."""
    return checkout.purge_idempotency_keys()
