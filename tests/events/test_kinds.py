"""A subscriber that names the kinds it wants (Event.where) gets a delivery only for those:
chosen when the event is published, and shown by `manage.py events`."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from flowmart.events import publish
from flowmart.events.models import Delivery
from flowmart.events.registry import register, subscribers_for, unregister
from tests.probe.handlers import ProbeHappened

SEEN = []


def note_flagged(ev: ProbeHappened) -> None:
    SEEN.append(ev.note)


@pytest.fixture
def flagged_only():
    register("kindtest", {ProbeHappened.where(note=("flagged", "urgent")): [note_flagged]})
    SEEN.clear()
    yield
    unregister("kindtest.note_flagged")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("count", [1, 25])  # one INSERT, or COPY from 20 events at once
def test_only_the_wanted_kinds_are_delivered(flagged_only, count):
    notes = ["flagged", "plain", "urgent"] * count
    with transaction.atomic():
        publish(*(ProbeHappened(note=note) for note in notes))
    mine = Delivery.objects.filter(subscriber="kindtest.note_flagged")
    assert mine.count() == 2 * count
    assert sorted(SEEN) == sorted(n for n in notes if n != "plain")  # eager mode ran them
    others = len([s for s in subscribers_for("ProbeHappened") if s.kinds is None])
    assert Delivery.objects.exclude(subscriber="kindtest.note_flagged").count() == others * len(notes)


def test_the_catalogue_shows_what_a_subscriber_wants(flagged_only):
    out = io.StringIO()
    call_command("events", stdout=out)
    assert "kindtest.note_flagged (note=flagged|urgent)" in out.getvalue()
    assert "payments.note_stock_reserved (reason=reserved)" in out.getvalue()
    assert "payments.save_changed_method (change=payment_method)" in out.getvalue()


def test_a_subscriber_name_cannot_be_taken_twice_with_other_kinds(flagged_only):
    with pytest.raises(ValueError):
        register("kindtest", {ProbeHappened.where(note="plain"): [note_flagged]})
