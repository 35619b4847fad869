"""Liveness (the process answers) and readiness (database, cache and broker answer).

Readiness uses django-health-check; the broker probe is ours because the library's
Celery check needs a running worker, and readiness is about the broker itself.
"""

import dataclasses
import datetime

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
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
        "health_check.checks.Database",
        "health_check.checks.Cache",
        Broker,
    )

    async def get(self, request, *args, **kwargs):
        # Probes and load balancers want JSON whatever they send as Accept.
        request.META["HTTP_ACCEPT"] = "application/json"
        request.__dict__.pop("headers", None)  # a cached view of META, already read by the middleware
        return await super().get(request, *args, **kwargs)
