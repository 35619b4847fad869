"""Beat jobs of the customers context."""

from celery import shared_task

from . import privacy


@shared_task(name="flowmart.customers.tasks.erase_closed_accounts")
def erase_closed_accounts() -> int:
    """Retention: erase accounts closed longer than PRIVACY_CLOSED_ACCOUNT_RETENTION_DAYS."""
    return privacy.erase_closed_accounts()
