"""The dispatcher's dashboard panel for operations: outbox lag and dead deliveries."""

from django.urls import reverse

from flowmart.common.dashboard import OPERATIONS, register

from .backlog import backlog
from .models import Delivery


@register("Outbox", OPERATIONS, order=60)
def outbox(request) -> dict:
    state = backlog()
    dead = Delivery.objects.filter(status=Delivery.Status.DEAD).count()  # a partial index (delivery_dead_idx)
    url = reverse("admin:events_delivery_changelist")
    rows = [
        ("pending deliveries", state.pending, f"{url}?status__exact=pending"),
        ("oldest pending (lag)", f"{state.oldest_seconds:.0f} s", ""),
        ("dead deliveries", dead, f"{url}?status__exact=dead"),
    ]
    return {"rows": rows, "tone": "warn" if dead or state.stalled else ""}
