"""Celery jobs of payments: webhook processing and the beat jobs."""

from celery import shared_task


@shared_task(name="flowmart.payments.tasks.process_stripe_event")
def process_stripe_event(event_pk: int) -> str:
    from .services import webhooks

    return webhooks.process(event_pk)


@shared_task(name="flowmart.payments.tasks.sweep_stripe_events")
def sweep_stripe_events() -> int:
    """Beat: webhooks whose processing message was lost or whose payment was not committed yet."""
    from .services import webhooks

    return webhooks.sweep_unprocessed()


@shared_task(name="flowmart.payments.tasks.reconcile_payments")
def reconcile_payments() -> int:
    """Beat (daily): compare our payments with the providers' records; differences are logged."""
    from .services import reconciliation

    return len(reconciliation.reconcile_all())


@shared_task(name="flowmart.payments.tasks.payout_run")
def payout_run() -> dict:
    """Beat: release sales past the hold and pay each verified seller once per payout period
    (PAYMENTS_PAYOUT_PERIOD, weekly by default); overlapping runs pay nobody twice."""
    from .services import payouts

    return payouts.run()
