"""Tracing is configured per process at start-up (flowmart/wsgi.py, flowmart/celery.py): off by
default at no cost, on with an OTLP endpoint. Each case starts a fresh web process, as gunicorn
would, so nothing another test installed in this one can hide a difference."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.support.tracing import OtlpCollector
from tests.support.worker import wait_until

ROOT = Path(__file__).resolve().parents[2]

# A web process: load the WSGI application (which configures tracing, or not), serve two
# requests through it, then say what is installed.
WEB_PROCESS = r"""
import json, sys
from wsgiref.util import setup_testing_defaults

from flowmart import wsgi

def get(path):
    environ = {}
    setup_testing_defaults(environ)
    environ["PATH_INFO"] = path
    status = []
    response = wsgi.application(environ, lambda s, headers, exc_info=None: status.append(s))
    b"".join(response)
    response.close()
    return status[0]

statuses = [get("/api/v1/products/"), get("/health/live/")]
# redis-py 8 imports OpenTelemetry's metrics SDK by itself when it is installed (its own optional
# metrics, off unless initialised): what tracing would bring is the trace SDK, the exporter and
# the instrumentations.
TRACING_MODULES = ("opentelemetry.sdk.trace", "opentelemetry.exporter", "opentelemetry.instrumentation")

import psycopg
from django.conf import settings
from django.db import connection
from flowmart.events.base import Event

connection.ensure_connection()
print(json.dumps({
    "statuses": statuses,
    "tracing_modules": sorted(m for m in sys.modules if m.startswith(TRACING_MODULES)),
    "tracer_provider_set": getattr(sys.modules.get("opentelemetry.trace"), "_TRACER_PROVIDER", None) is not None,
    "psycopg_connect_wrapped": hasattr(psycopg.connect, "__wrapped__"),
    "cursor_factory": connection.connection.cursor_factory.__qualname__,
    "otel_middleware": [m for m in settings.MIDDLEWARE if "opentelemetry" in m],
    "event_traceparent": Event().traceparent,
}))
"""


def run_web_process(**env) -> dict:
    db = connection.settings_dict
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TRACING_"))}
    result = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_off_by_default_nothing_is_imported_or_installed():
    state = run_web_process()
    assert state["statuses"] == ["200 OK", "200 OK"]
    assert state["tracing_modules"] == []  # not even imported
    assert state["tracer_provider_set"] is False
    assert state["psycopg_connect_wrapped"] is False
    assert state["cursor_factory"] == "ServerBindingCursor"  # Django's own psycopg cursor, not a traced subclass
    assert state["otel_middleware"] == []
    assert state["event_traceparent"] is None


@pytest.mark.django_db
def test_an_endpoint_set_to_off_stays_off():
    state = run_web_process(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", TRACING_ENABLED="0")
    assert state["tracing_modules"] == [] and state["psycopg_connect_wrapped"] is False


@pytest.mark.django_db
def test_with_an_endpoint_the_web_process_exports_requests_and_statements_over_otlp():
    with OtlpCollector() as collector:
        state = run_web_process(OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint)
        # The process has exited: its provider flushed the last batch on the way out.
        spans = wait_until(collector.received, timeout=10)
    assert state["statuses"] == ["200 OK", "200 OK"]
    assert state["psycopg_connect_wrapped"] is True
    assert state["cursor_factory"] == "_new_cursor_factory.<locals>.TracedCursorFactory"
    assert state["otel_middleware"] and state["tracer_provider_set"]
    assert set(collector.paths) == {"/v1/traces"}

    [request] = [s for s in spans if s.kind == 2]  # SERVER: the probe request is not traced
    assert "products" in request.name and request.service == "flowmart-web"
    statements = [s for s in spans if s.attributes.get("db.system") == "postgresql"]
    assert statements, [s.name for s in spans]
    in_request = [s for s in statements if s.trace_id == request.trace_id]
    assert in_request and all(s.parent_span_id == request.span_id for s in in_request)


@pytest.mark.django_db
def test_the_service_name_can_be_set():
    with OtlpCollector() as collector:
        run_web_process(OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint, OTEL_SERVICE_NAME="shop-web")
        spans = wait_until(collector.received, timeout=10)
    assert {s.service for s in spans} == {"shop-web"}
