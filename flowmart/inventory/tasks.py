"""Beat jobs of the inventory context. Both are safe to run twice at once."""

import logging

from celery import shared_task

from . import selectors, services

logger = logging.getLogger("flowmart.inventory")


@shared_task(name="flowmart.inventory.tasks.expire_reservations")
def expire_reservations() -> int:
    """Release unpaid reservations past their expiry (orders cancels those orders)."""
    return services.expire_reservations()


@shared_task(name="flowmart.inventory.tasks.check_inventory")
def check_inventory() -> int:
    """Alert (an ERROR log line per problem) when stock, ledger and reservations disagree."""
    drift = selectors.inventory_drift()
    for problem in drift:
        logger.error("inventory drift: %s", problem)
    return len(drift)
