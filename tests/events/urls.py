"""A test-only endpoint that publishes a probe event, so dispatcher tests can go
through the whole request stack (middleware, correlation id, transaction)."""

from django.db import transaction
from django.http import JsonResponse
from django.urls import path

from flowmart.events import publish
from tests.probe.handlers import ProbeHappened


def publish_probe(request):
    with transaction.atomic():
        ev = ProbeHappened(note=request.GET.get("note", "via request"))
        publish(ev)
    return JsonResponse({"event_id": str(ev.event_id), "correlation_id": ev.correlation_id}, status=201)


urlpatterns = [path("probe/publish/", publish_probe)]
