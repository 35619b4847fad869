"""Prometheus gauges for the dispatcher, read from the outbox at scrape time."""

from django.db import DatabaseError
from prometheus_client.core import REGISTRY, GaugeMetricFamily

from .backlog import backlog
from .models import Delivery

NAMES = (
    "flowmart_outbox_lag_seconds",
    "flowmart_outbox_pending_deliveries",
    "flowmart_dead_deliveries",
    "flowmart_outbox_stalled",
    "flowmart_outbox_overdue_deliveries",
    "flowmart_outbox_stall_threshold_seconds",
)


class OutboxCollector:
    def describe(self):
        # Declared without touching the database, so registering at start-up makes no query.
        for name in NAMES:
            yield GaugeMetricFamily(name, "")

    def collect(self):
        try:
            current = backlog()
            dead_count = Delivery.objects.filter(status=Delivery.Status.DEAD).count()
        except DatabaseError:  # no database yet (e.g. during migrate): report nothing
            return
        lag, pending_count = current.oldest_seconds, current.pending
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
        yield GaugeMetricFamily(
            "flowmart_outbox_stalled",
            "1 while a delivery has been pending longer than EVENTS_BACKLOG_ALERT_SECONDS: alert on it.",
            value=1 if current.stalled else 0,
        )
        yield GaugeMetricFamily(
            "flowmart_outbox_overdue_deliveries",
            "Deliveries pending longer than EVENTS_BACKLOG_ALERT_SECONDS.",
            value=current.overdue,
        )
        yield GaugeMetricFamily(
            "flowmart_outbox_stall_threshold_seconds",
            "EVENTS_BACKLOG_ALERT_SECONDS: how old a pending delivery may get before the outbox counts as stalled.",
            value=current.threshold_seconds,
        )


_installed = False


def install():
    global _installed
    if not _installed:
        REGISTRY.register(OutboxCollector())
        _installed = True
