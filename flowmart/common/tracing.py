"""OpenTelemetry traces: one checkout readable across web and worker processes.

Off unless configured (docs/operations.md § Traces). Off means free: this module then imports
nothing of OpenTelemetry, sets no tracer provider, installs no instrumentation (no middleware, psycopg's `connect` and
Celery's signals untouched), and its hooks return at once: `current_traceparent()` is None,
`delivery_span()` a shared no-op context manager.

On, each process (web: flowmart/wsgi.py and asgi.py; worker: flowmart/celery.py) calls
`configure()` once at start-up: Django requests, Celery tasks and every PostgreSQL statement
become spans, batched and exported over OTLP/HTTP. Events carry the W3C `traceparent` of the
span that created them inside their envelope (flowmart.events.base.Event), and the relay runs
each subscriber inside `delivery_span()`, a child of that span: web request → publish →
delivery → next publish → delivery read as one trace, whichever process ran each step, and
whenever (a redelivery by the sweep an hour later still joins its trace, linked to the task
that ran it).
"""

from __future__ import annotations

import contextlib
import threading

from django.conf import settings

# What a hook returns while tracing is off: reusable, so the off path allocates nothing.
_NOTHING = contextlib.nullcontext()
_IDS_PER_PUBLISH = 20  # event ids noted on a span per publish() call; the names and count always
_lock = threading.Lock()
_active: _Tracing | None = None


def configure(role: str) -> bool:
    """Start tracing in this process if settings.TRACING says so; True if it is on.

    `role` ("web", "worker") names the service in the traces unless OTEL_SERVICE_NAME is set.
    Safe to call more than once (and in a forked child of a configured process, which keeps
    its parent's instrumentation; the SDK restarts its export thread after a fork)."""
    if _active is not None:
        return True
    if not settings.TRACING["ENABLED"]:
        return False
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # Resource.create adds OTEL_RESOURCE_ATTRIBUTES; the exporter reads OTEL_EXPORTER_OTLP_*
    # (endpoint, headers, timeout), the provider OTEL_TRACES_SAMPLER(_ARG), the batch processor
    # OTEL_BSP_*. The provider flushes what is left when the process exits.
    resource = Resource.create(
        {
            "service.name": settings.TRACING["SERVICE_NAME"] or f"flowmart-{role}",
            "service.namespace": "flowmart",
            "flowmart.process": role,
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    install(provider)
    return True


def install(tracer_provider) -> None:
    """Instrument Django, Celery and psycopg and record spans through `tracer_provider`.
    configure() calls it with the OTLP exporter; the tests with an in-memory one."""
    global _active
    with _lock:
        if _active is None:
            _active = _Tracing(tracer_provider)


def uninstall() -> None:
    """Undo install() (tests): the process is back to tracing off. Connections opened while
    it was on keep their traced cursors until they are closed."""
    global _active
    with _lock:
        if _active is not None:
            _active.close()
            _active = None


def enabled() -> bool:
    return _active is not None


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span (None when off or outside any span): the
    default of every event's `traceparent`, so an event remembers the span that created it."""
    return None if _active is None else _active.traceparent()


def delivery_span(event, subscriber: str):
    """Context manager around one subscriber's handling of one event: a consumer span whose
    parent is the span that created the event (its `traceparent`), linked to the task
    running the delivery. A failing handler marks it as an error. A no-op when off."""
    return _NOTHING if _active is None else _active.delivery_span(event, subscriber)


def published(events) -> None:
    """Note on the current span that it published these events (a tuple, as publish() gets them)."""
    if _active is not None:
        _active.published(events)


class _Tracing:
    """Tracing while it is on: the instrumentors installed and the tracer of our own spans."""

    def __init__(self, tracer_provider):
        from opentelemetry import trace
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        self.trace = trace
        self.propagator = TraceContextTextMapPropagator()
        self.tracer = trace.get_tracer("flowmart.events", tracer_provider=tracer_provider)
        self.instrumentors = [DjangoInstrumentor(), CeleryInstrumentor(), PsycopgInstrumentor()]
        options = {
            DjangoInstrumentor: {"excluded_urls": settings.TRACING["EXCLUDED_URLS"]},
        }
        for instrumentor in self.instrumentors:
            # Each is a process-wide singleton that ignores a second instrument() call.
            instrumentor.instrument(tracer_provider=tracer_provider, **options.get(type(instrumentor), {}))

    def close(self) -> None:
        for instrumentor in self.instrumentors:
            instrumentor.uninstrument()

    def traceparent(self) -> str | None:
        carrier: dict[str, str] = {}
        self.propagator.inject(carrier)  # nothing when the current span is not a valid one
        return carrier.get("traceparent")

    def delivery_span(self, event, subscriber: str):
        trace = self.trace
        running = trace.get_current_span().get_span_context()
        parent = None  # the current context: the task's span, for an event that carries none
        if event.traceparent:
            context = self.propagator.extract({"traceparent": event.traceparent})
            if trace.get_current_span(context).get_span_context().is_valid:
                parent = context
        return self.tracer.start_as_current_span(
            f"deliver {event.name} to {subscriber}",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            links=[trace.Link(running)] if parent is not None and running.is_valid else None,
            attributes={
                "messaging.system": "flowmart.events",
                "messaging.operation.type": "process",
                "messaging.destination.name": event.name,
                "messaging.message.id": str(event.event_id),
                "messaging.message.conversation_id": event.correlation_id,
                "flowmart.subscriber": subscriber,
                "flowmart.causation_id": event.causation_id or "",
            },
        )

    def published(self, events) -> None:
        span = self.trace.get_current_span()
        if span.is_recording():
            # One span event per publish() call: a billing run publishes hundreds of events at once.
            span.add_event(
                "publish",
                {
                    "messaging.batch.message_count": len(events),
                    "flowmart.events": sorted({event.name for event in events}),
                    "messaging.message.id": [str(event.event_id) for event in events[:_IDS_PER_PUBLISH]],
                },
            )
