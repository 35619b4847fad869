"""Tracing in the tests: spans recorded in memory in this process, and a local OTLP/HTTP
collector (what Jaeger or Tempo would receive) for the spans of other processes.

The collector accepts `POST /v1/traces` (protobuf, as opentelemetry-exporter-otlp-proto-http sends it),
decodes each export request with the official protobuf classes and keeps the spans, each with
its service name, so a test can read a trace that several processes exported."""

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import connections
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass(frozen=True)
class Recording:
    exporter: object  # InMemorySpanExporter
    tracer: object  # for the test's own spans ("web request", "task run")

    def spans(self):
        return self.exporter.get_finished_spans()


@contextmanager
def recorded_spans(reconnect: bool = False):
    """Tracing on in this process, every finished span kept (the yielded Recording's `spans()`);
    off again afterwards. `reconnect`: close the database connections
    first and after (transactional tests only), so the connection the block uses is opened
    through the instrumented psycopg and its statements are spans too."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from flowmart.common import tracing

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    if reconnect:
        connections.close_all()
    tracing.install(provider)
    try:
        yield Recording(exporter, provider.get_tracer("tests"))
    finally:
        tracing.uninstall()
        if reconnect:
            connections.close_all()
        provider.shutdown()


@dataclass(frozen=True)
class ExportedSpan:
    service: str
    name: str
    kind: int  # opentelemetry.proto.trace.v1.Span.SpanKind: 2 server, 3 client, 5 consumer
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict = field(hash=False)
    links: tuple[str, ...] = ()  # span ids


def _value(any_value):
    return getattr(any_value, any_value.WhichOneof("value")) if any_value.WhichOneof("value") else None


class OtlpCollector:
    def __init__(self):
        self.spans: list[ExportedSpan] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                collector._receive(self.path, body)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}"

    def _receive(self, path: str, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        spans = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append(
                        ExportedSpan(
                            service=resource.get("service.name", ""),
                            name=span.name,
                            kind=span.kind,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            attributes={a.key: _value(a.value) for a in span.attributes},
                            links=tuple(link.span_id.hex() for link in span.links),
                        )
                    )
        with self._lock:
            self.paths.append(path)
            self.spans.extend(spans)

    def received(self) -> list[ExportedSpan]:
        with self._lock:
            return list(self.spans)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
