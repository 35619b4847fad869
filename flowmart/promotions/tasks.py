"""Beat jobs of the promotions context (settings.CELERY_BEAT_SCHEDULE). Safe to run twice at once."""

from celery import shared_task

from .services import deals, sales


@shared_task
def run_schedule() -> dict:
    """Sales and deals move scheduled → live → ended as their windows pass; ended sales'
    offers are dropped from the catalog's and orders' projections."""
    return {"sales_closed": sales.close_ended_sales(), "deals_moved": deals.advance_schedule()}
