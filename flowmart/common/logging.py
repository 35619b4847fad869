import logging

from .correlation import get_correlation_id


class CorrelationIdFilter(logging.Filter):
    """Stamp every log record with the current correlation id."""

    def filter(self, record):
        record.correlation_id = get_correlation_id() or "-"
        return True
