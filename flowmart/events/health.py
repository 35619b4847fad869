"""The dispatcher's readiness check (flowmart/common/health.py lists it): degraded, with the
reason, while the outbox has a backlog older than the threshold (see backlog.py)."""

import dataclasses
import datetime

from django.db import DatabaseError, connection
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from .backlog import backlog


@dataclasses.dataclass
class OutboxBacklog(HealthCheck):
    timeout = datetime.timedelta(seconds=3)

    def run(self):
        try:
            current = backlog()
        except DatabaseError as exc:  # the database check reports this one
            raise ServiceUnavailable("outbox unreadable") from exc
        finally:
            connection.close()  # runs in an executor thread: hold no connection between probes
        if current.stalled:
            raise ServiceUnavailable(current.describe())
