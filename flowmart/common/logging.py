import logging

from celery.utils.log import ColorFormatter

from .client import current_client_ip
from .correlation import get_correlation_id


class CorrelationIdFilter(logging.Filter):
    """Stamp every log record with the current correlation id and, inside a request, the
    client's address (flowmart/common/client.py: the same one throttles and fraud rules see)."""

    def filter(self, record):
        record.correlation_id = get_correlation_id() or "-"
        record.client_ip = current_client_ip() or "-"
        return True


def correlate_celery_logs(logger=None, format=None, colorize=False, **kwargs):
    """Celery replaces Django's LOGGING in worker processes with its own handlers; give
    them the correlation id back, so a subscriber's log lines name the story they belong to.

    Connected to Celery's after_setup_logger / after_setup_task_logger signals."""
    fmt = format.replace("%(message)s", "[%(correlation_id)s] %(message)s")
    for handler in logger.handlers:
        if isinstance(handler.formatter, ColorFormatter):  # TaskFormatter included: keep its class
            handler.setFormatter(type(handler.formatter)(fmt, use_color=colorize))
        if not any(isinstance(f, CorrelationIdFilter) for f in handler.filters):
            handler.addFilter(CorrelationIdFilter())
