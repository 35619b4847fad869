import pytest
from django.db import transaction

from flowmart.events import publish
from tests.probe.handlers import ProbeHappened
from tests.probe.models import ProbeRecord
from tests.support.worker import wait_until


@pytest.mark.worker
def test_real_worker_delivers(celery_worker):
    with transaction.atomic():
        publish(ProbeHappened(note="via broker"))
    wait_until(lambda: ProbeRecord.objects.count() == 3)
