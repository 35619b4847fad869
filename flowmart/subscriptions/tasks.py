"""Beat jobs of this context."""

from celery import shared_task
from django.utils import timezone

from .services import billing


@shared_task(name="flowmart.subscriptions.tasks.billing_run", ignore_result=True)
def billing_run() -> dict:
    """Every SUBSCRIPTIONS_BILLING_RUN_SECONDS (default 300). Two of them at once are safe."""
    stats = billing.run(timezone.now())
    return {"renewals": stats.renewals, "orders": stats.orders, "retries": stats.retries}
