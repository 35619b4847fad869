import pytest
from django.db import transaction

from flowmart.events import publish
from flowmart.events.models import Delivery, InboxRecord
from tests.probe.handlers import ProbeHappened
from tests.probe.models import ProbeRecord


@pytest.mark.django_db(transaction=True)
def test_eager_publish_runs_every_subscriber_after_commit():
    with transaction.atomic():
        ev = ProbeHappened(note="hello")
        publish(ev)
        assert not ProbeRecord.objects.exists()  # nothing runs before commit
    assert set(ProbeRecord.objects.values_list("subscriber", flat=True)) == {"first", "second", "flaky"}
    assert Delivery.objects.filter(status="done").count() == 3
    assert InboxRecord.objects.filter(event_id=ev.event_id).count() == 3
