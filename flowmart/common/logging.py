import logging

from celery.utils.log import ColorFormatter

from .correlation import get_correlation_id


class CorrelationIdFilter(logging.Filter):
    """Stamp every log record with the current correlation id."""

    def filter(self, record):
        record.correlation_id = get_correlation_id() or "-"
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
