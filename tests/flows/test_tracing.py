"""One checkout, one trace: the web request, its SQL, and every subscriber delivery of the saga
it starts share one trace id, eagerly in one process and through a real worker in another."""

import pytest

from flowmart.celery import app
from flowmart.common import tracing
from flowmart.events.models import Delivery, OutboxEvent
from flowmart.orders.models import SkuAvailability
from tests.support.tracing import OtlpCollector, recorded_spans
from tests.support.worker import CeleryWorker, wait_until

from .conftest import checkout, order, register

pytestmark = pytest.mark.django_db(transaction=True)


def story(order_id: int) -> list[OutboxEvent]:
    """Every event the checkout of this order caused (its correlation id)."""
    first = OutboxEvent.objects.filter(payload__order_id=order_id).order_by("id").first()
    return list(OutboxEvent.objects.filter(correlation_id=first.correlation_id).order_by("id"))


def trace_and_span(traceparent: str) -> tuple[int, int]:
    _, trace_id, span_id, _ = traceparent.split("-")
    return int(trace_id, 16), int(span_id, 16)


def delivered(events: list[OutboxEvent]) -> list[tuple[str, int, int]]:
    """(span name, trace id, parent span id) each delivery that ran should have had."""
    return sorted(
        (f"deliver {d.event.name} to {d.subscriber}", *trace_and_span(d.event.payload["traceparent"]))
        for d in Delivery.objects.filter(event__in=events, status=Delivery.Status.DONE).select_related("event")
    )


def test_an_eager_checkout_is_one_trace_from_request_to_last_delivery(shop):
    with recorded_spans(reconnect=True) as rec:
        buyer = register()  # after tracing is on: this client's handler loads the tracing middleware
        placed = checkout(buyer, {"FLOW-RED": 1})
    assert placed["status"] == "paid"
    spans = rec.spans()
    [request] = [s for s in spans if s.kind.name == "SERVER" and "checkout" in s.name]
    trace_id = request.context.trace_id
    by_id = {s.context.span_id: s for s in spans}

    events = story(placed["order_id"])
    assert {"OrderConfirmed", "InventoryAdjusted", "PaymentProcessed"} <= {e.name for e in events}
    for event in events:  # every event of the saga carries the trace, and names a span of it
        event_trace, publisher = trace_and_span(event.payload["traceparent"])
        assert event_trace == trace_id and publisher in by_id
    order_confirmed = next(e for e in events if e.name == "OrderConfirmed")
    assert trace_and_span(order_confirmed.payload["traceparent"])[1] == request.context.span_id

    # One delivery span per delivery that ran, each the child of its event's publishing span.
    deliveries = [s for s in spans if s.name.startswith("deliver ") and s.context.trace_id == trace_id]
    assert sorted((s.name, trace_id, s.parent.span_id) for s in deliveries) == delivered(events)
    assert len(deliveries) >= 5

    # The SQL of the request and of the subscribers, in the same trace.
    statements = [s for s in spans if s.attributes.get("db.system") == "postgresql"]
    assert any(s.parent and s.parent.span_id == request.context.span_id for s in statements)
    in_deliveries = {by_id[s.parent.span_id].name for s in statements if s.parent and s.parent.span_id in by_id}
    assert any(name.startswith("deliver OrderConfirmed to inventory.") for name in in_deliveries)
    # Celery's own spans (eager here) hang in the same trace.
    assert any(s.name == "run/flowmart.events.tasks.deliver" and s.context.trace_id == trace_id for s in spans)


def test_with_tracing_off_a_checkout_leaves_no_trace_context(shop):
    assert not tracing.enabled()
    placed = checkout(register(), {"FLOW-RED": 1})
    assert placed["status"] == "paid"
    events = story(placed["order_id"])
    assert len(events) >= 3 and all(e.payload["traceparent"] is None for e in events)


def settled(order_id: int) -> list[OutboxEvent]:
    """The checkout's story once nothing of it is pending (a done delivery's events commit with it)."""
    return wait_until(
        lambda: (
            (events := story(order_id))
            and not Delivery.objects.filter(event__in=events, status=Delivery.Status.PENDING).exists()
            and events
        ),
        timeout=30,
    )


@pytest.mark.worker
def test_a_checkout_through_a_real_worker_is_one_trace_across_processes(shop):
    """The web side (this process) records in memory; the worker exports over OTLP to a local
    collector. The worker's delivery spans and their SQL continue the request's trace."""
    with OtlpCollector() as collector:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "50"}
        with CeleryWorker(extra_env=env) as worker, recorded_spans(reconnect=True) as rec:
            app.conf.task_always_eager = False
            try:
                wait_until(lambda: SkuAvailability.objects.filter(sku="FLOW-RED", available=10).exists(), timeout=30)
                buyer = register()
                placed = checkout(buyer, {"FLOW-RED": 1})
                [request] = [s for s in rec.spans() if s.kind.name == "SERVER" and "checkout" in s.name]
                trace_id = f"{request.context.trace_id:032x}"
                wait_until(lambda: order(buyer, placed["order_id"])["shipments"], timeout=30)
                expected = delivered(settled(placed["order_id"]))

                def exported():  # every delivery span, and the task spans they link to
                    spans = collector.received()
                    ids = {s.span_id for s in spans}
                    deliveries = [s for s in spans if s.name.startswith("deliver ") and s.trace_id == trace_id]
                    return len(deliveries) >= len(expected) and all(set(s.links) <= ids for s in deliveries)

                wait_until(exported)
            finally:
                app.conf.task_always_eager = True
        assert "Traceback" not in worker.output(), worker.output()[-3000:]
    assert order(buyer, placed["order_id"])["status"] == "paid"

    worker_spans = collector.received()
    assert {s.service for s in worker_spans} == {"flowmart-worker"}
    deliveries = [s for s in worker_spans if s.name.startswith("deliver ") and s.trace_id == trace_id]
    assert sorted((s.name, int(s.trace_id, 16), int(s.parent_span_id, 16)) for s in deliveries) == expected
    assert len(expected) >= 5
    delivery_ids = {s.span_id for s in deliveries}
    assert any(s.attributes.get("db.system") == "postgresql" and s.parent_span_id in delivery_ids for s in worker_spans)
    # Each delivery links to the Celery task span that ran it, itself in the request's trace
    # (its parent is an apply_async span: the web side's, or a delivery's task's in the worker).
    runs = {s.span_id: s for s in worker_spans if s.name == "run/flowmart.events.tasks.deliver"}
    assert all(len(s.links) == 1 and s.links[0] in runs for s in deliveries)
    assert {runs[s.links[0]].trace_id for s in deliveries} == {trace_id}
