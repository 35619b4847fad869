"""The nudge (flowmart/events/nudge.py) builds deliver's message itself: it must be the message
`apply_async` sends, byte for byte where it can be (only the task id and what follows from it
differ), or a worker would read it differently."""

import base64
import json

import pytest

from flowmart.events import nudge, relay
from flowmart.events.tasks import deliver
from tests.support.broker import real_broker

QUEUE = "nudge-test"


@pytest.fixture
def broker():
    """The real Redis broker, not eager; the test queue emptied before and after."""
    with real_broker(QUEUE) as client:
        yield client


def _sent(client) -> dict:
    raw = client.rpop(QUEUE)
    assert raw is not None, "no message reached the queue"
    message = json.loads(raw)
    message["body"] = json.loads(base64.b64decode(message["body"]))
    return message


def _without_ids(message: dict) -> dict:
    task_id = message["headers"]["id"]
    message = json.loads(json.dumps(message).replace(task_id, "<task id>"))
    message["properties"].pop("delivery_tag")  # a fresh uuid per message
    return message


def test_the_nudge_sends_the_message_apply_async_sends(broker):
    deliver.apply_async(([7, 8, 9],), queue=QUEUE)  # the plain call: Celery builds every part itself
    expected = _sent(broker)
    nudge.send(deliver, [7, 8, 9], QUEUE)
    sent = _sent(broker)

    assert sent["headers"]["id"] != expected["headers"]["id"]
    assert _without_ids(sent) == _without_ids(expected)
    assert sent["body"] == [[[7, 8, 9]], {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
    assert sent["properties"]["delivery_info"] == {"exchange": "", "routing_key": QUEUE}


def test_enqueue_sends_one_message_per_batch_to_the_queue(broker, settings):
    settings.EVENTS = {**settings.EVENTS, "QUEUES": {"probe": QUEUE}}
    relay.enqueue(list(range(1, 61)), ["probe.record_first"] * 60)
    first, second = _sent(broker), _sent(broker)
    assert (first["body"][0], second["body"][0]) == ([list(range(1, 51))], [list(range(51, 61))])
    assert first["headers"]["task"] == "flowmart.events.tasks.deliver"
    assert broker.llen(QUEUE) == 0


def test_a_publish_signal_receiver_gets_the_message_through_apply_async(broker):
    """Tracing's Celery instrumentation listens to these signals: they must still fire."""
    seen = []

    def receiver(sender=None, headers=None, **kwargs):
        seen.append((sender, headers["argsrepr"]))

    from celery import signals

    signals.before_task_publish.connect(receiver)
    try:
        nudge.send(deliver, [4], QUEUE)
    finally:
        signals.before_task_publish.disconnect(receiver)
    assert seen == [("flowmart.events.tasks.deliver", "([4],)")]
    assert _sent(broker)["body"][0] == [[4]]
