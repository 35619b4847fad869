"""Beat jobs of the orders context."""

from celery import shared_task

from . import privacy
from .services import checkout


@shared_task(name="flowmart.orders.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget checkout keys older than the replay window (safe to run twice at once)."""
    return checkout.purge_idempotency_keys()


@shared_task(name="flowmart.orders.tasks.purge_old_carts")
def purge_old_carts() -> int:
    """Retention: delete carts untouched for PRIVACY_CART_RETENTION_DAYS (docs/privacy.md)."""
    return privacy.purge_old_carts()
