"""A subscriber's id is declared (`@subscriber_id`), not taken from its function's name: a
handler can be renamed without orphaning its pending deliveries, and the registry refuses a
handler without an id, an id outside its context and an id taken twice."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import transaction

from flowmart.events import publish, relay
from flowmart.events.models import Delivery
from flowmart.events.registry import WiringError, register, subscriber, subscriber_id, subscribers_for, unregister
from tests.probe.handlers import ProbeHappened

from .released_subscribers import RELEASED

SEEN = []


@subscriber_id("idtest.count_probe")
def count_probe(ev: ProbeHappened) -> None:
    SEEN.append(("count_probe", ev.note))


@subscriber_id("idtest.count_probe")
def tally_probe(ev: ProbeHappened) -> None:
    """count_probe after a rename: same id, new function name."""
    SEEN.append(("tally_probe", ev.note))


@pytest.fixture
def cleanup():
    SEEN.clear()
    yield
    for name in ("idtest.count_probe", "idtest.other"):
        unregister(name)


@pytest.mark.django_db
def test_a_renamed_handler_keeps_its_id_and_its_pending_deliveries(cleanup):
    register("idtest", {ProbeHappened: [count_probe]})
    with transaction.atomic():  # the test's transaction never commits: the row stays pending
        publish(ProbeHappened(note="before the rename"))
    pending = Delivery.objects.get(subscriber="idtest.count_probe")

    unregister("idtest.count_probe")  # the next deployment: the function is called tally_probe
    register("idtest", {ProbeHappened: [tally_probe]})

    assert subscriber("idtest.count_probe").function is tally_probe
    assert relay.deliver(pending.pk) == "done"
    assert SEEN == [("tally_probe", "before the rename")]


def test_an_id_taken_by_another_handler_is_refused(cleanup):
    register("idtest", {ProbeHappened: [count_probe]})
    with pytest.raises(WiringError, match="idtest.count_probe is taken"):
        register("idtest", {ProbeHappened: [tally_probe]})
    assert subscriber("idtest.count_probe").function is count_probe


def test_registering_the_same_mapping_twice_changes_nothing(cleanup):
    register("idtest", {ProbeHappened: [count_probe]})
    register("idtest", {ProbeHappened: [count_probe]})
    assert [s.name for s in subscribers_for("ProbeHappened")].count("idtest.count_probe") == 1


def test_the_same_handler_under_two_keys_is_refused(cleanup):
    """One id is one subscription: a second key needs a handler (and an id) of its own."""
    with pytest.raises(WiringError, match="is taken"):
        register("idtest", {ProbeHappened: [count_probe], ProbeHappened.where(note="x"): [count_probe]})


def test_a_handler_without_an_id_is_refused(cleanup):
    def anonymous(ev: ProbeHappened) -> None:
        pass

    with pytest.raises(WiringError, match=r'has no id: put @subscriber_id\("idtest.<name>"\)'):
        register("idtest", {ProbeHappened: [anonymous]})
    assert not any(s.function is anonymous for s in subscribers_for("ProbeHappened"))


@pytest.mark.parametrize("declared", ["other.count_probe", "idtest.", "idtestcount_probe"])
def test_an_id_outside_the_registering_context_is_refused(cleanup, declared):
    """The context part routes deliveries to the context's queue (EVENTS_QUEUES)."""

    @subscriber_id(declared)
    def misplaced(ev: ProbeHappened) -> None:
        pass

    with pytest.raises(WiringError, match="must be idtest.<name>"):
        register("idtest", {ProbeHappened: [misplaced]})


def test_every_released_id_is_still_subscribed_to_its_event():
    """The catalogue lists the ids deliveries and inbox rows already carry, each on its event."""
    out = io.StringIO()
    call_command("events", "--json", stdout=out)
    catalogue = {row["name"]: set(row["subscribers"]) for row in json.loads(out.getvalue())}
    for event_name, ids in RELEASED.items():
        missing = set(ids) - catalogue.get(event_name, set())
        assert not missing, f"{event_name}: {sorted(missing)} no longer subscribed"


def test_each_id_names_the_context_that_registered_it():
    for event_name in RELEASED:
        for sub in subscribers_for(event_name):
            assert sub.name.startswith(f"{sub.context}."), sub.name
