"""Is the dispatcher keeping up? One question, asked by /metrics, /health/ready/ and the admin.

A delivery pending for longer than EVENTS_BACKLOG_ALERT_SECONDS means nothing delivered it in
time: workers down or stuck, the broker down with no sweep running, or a subscriber retrying
for that long. Any of those is worth a human's look within minutes, well before customers
notice that paid orders do not ship or cancelled ones are not refunded.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from .models import Delivery


@dataclass(frozen=True)
class Backlog:
    pending: int  # deliveries waiting for their subscriber
    oldest_seconds: float  # age of the oldest of them (0 when none)
    overdue: int  # how many are older than the threshold
    threshold_seconds: float

    @property
    def stalled(self) -> bool:
        return self.overdue > 0

    def describe(self) -> str:
        return (
            f"{self.overdue} deliveries pending for more than {self.threshold_seconds:.0f} s "
            f"(oldest {self.oldest_seconds:.0f} s, {self.pending} pending in all): is the dispatcher running?"
        )


def backlog() -> Backlog:
    """One query over the pending deliveries."""
    now = timezone.now()
    threshold = settings.EVENTS["BACKLOG_ALERT_SECONDS"]
    stats = Delivery.objects.filter(status=Delivery.Status.PENDING).aggregate(
        pending=Count("id"),
        oldest=Min("created_at"),
        overdue=Count("id", filter=Q(created_at__lt=now - timedelta(seconds=threshold))),
    )
    oldest = (now - stats["oldest"]).total_seconds() if stats["oldest"] else 0.0
    return Backlog(stats["pending"], max(0.0, oldest), stats["overdue"], threshold)
