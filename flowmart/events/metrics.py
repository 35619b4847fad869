"""Prometheus gauges for the dispatcher, read from the outbox at scrape time."""

from django.db import DatabaseError
from django.db.models import Min
from django.utils import timezone
from prometheus_client.core import REGISTRY, GaugeMetricFamily

from .models import Delivery


class OutboxCollector:
    def describe(self):
        # Declared without touching the database, so registering at start-up makes no query.
        for name in ("flowmart_outbox_lag_seconds", "flowmart_outbox_pending_deliveries", "flowmart_dead_deliveries"):
            yield GaugeMetricFamily(name, "")

    def collect(self):
        try:
            pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
            oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
            pending_count = pending.count()
            dead_count = Delivery.objects.filter(status=Delivery.Status.DEAD).count()
        except DatabaseError:  # no database yet (e.g. during migrate): report nothing
            return
        lag = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "flowmart_outbox_lag_seconds", "Age of the oldest undelivered (event, subscriber) pair.", value=lag
        )
        yield GaugeMetricFamily(
            "flowmart_outbox_pending_deliveries", "Deliveries waiting for their subscriber.", value=pending_count
        )
        yield GaugeMetricFamily(
            "flowmart_dead_deliveries",
            "Deliveries that exhausted their retries (replay from the admin).",
            value=dead_count,
        )


_installed = False


def install():
    global _installed
    if not _installed:
        REGISTRY.register(OutboxCollector())
        _installed = True
