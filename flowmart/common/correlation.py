"""The correlation id ties one customer action to every event and log line it causes.

Set from the incoming request (X-Request-ID or generated) and, inside a subscriber,
from the event being handled, so the whole causal chain shares one id.
"""

import contextvars
import uuid
from contextlib import contextmanager

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_causation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("causation_id", default=None)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def get_correlation_id() -> str | None:
    return _correlation_id.get()


def get_causation_id() -> str | None:
    return _causation_id.get()


@contextmanager
def correlation(correlation_id: str | None, causation_id: str | None = None):
    """Run a block under a correlation id (and the id of the event that caused it)."""
    token = _correlation_id.set(correlation_id or new_correlation_id())
    cause = _causation_id.set(causation_id)
    try:
        yield _correlation_id.get()
    finally:
        _correlation_id.reset(token)
        _causation_id.reset(cause)
