"""Liveness (the process answers) and readiness (database, cache, broker, outbox backlog).

Readiness uses django-health-check's probes; the broker probe is ours because the library's
Celery check needs a running worker, and readiness is about the broker itself.

Only the database is essential. Without it nothing works: 503 {"status": "unavailable"}, take
the instance out of the load balancer. Redis (cache and broker) down, or an outbox backlog older
than EVENTS_BACKLOG_ALERT_SECONDS, leave the shop working (catalogue uncached, limits counted per
process, events waiting in the outbox): 200 {"status": "degraded", "degraded": [reasons]}, for
monitoring to alert on, while the instance keeps serving. Every answer lists each check.
"""

import asyncio
import dataclasses
import datetime

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@never_cache
def live(request):
    return JsonResponse({"status": "ok"})


@dataclasses.dataclass
class Broker(HealthCheck):
    """Open (and close) a connection to the Celery broker."""

    timeout = datetime.timedelta(seconds=3)

    def run(self):
        from flowmart.celery import app

        try:
            with app.connection_for_write() as conn:
                # One immediate retry: a refused connection answers at once instead of after a 2 s back-off.
                conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        except Exception as exc:  # kombu raises many transport-specific errors
            raise ServiceUnavailable(f"broker unreachable: {type(exc).__name__}") from exc


class ReadyView(HealthCheckView):
    checks = (
        Database,
        "health_check.checks.Cache",
        Broker,
        "flowmart.events.health.OutboxBacklog",  # by name: the shared kernel imports no dispatcher code
    )

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
        failed = [r for r in results if r.error]
        down = any(isinstance(r.check, Database) for r in failed)  # the only essential one
        body = {
            "status": "unavailable" if down else "degraded" if failed else "ok",
            "checks": {repr(r.check): "OK" if not r.error else str(r.error) for r in results},
        }
        if failed and not down:
            body["degraded"] = [f"{type(r.check).__name__}: {r.error}" for r in failed]
        return JsonResponse(body, status=503 if down else 200)
