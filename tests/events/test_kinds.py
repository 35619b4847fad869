"""A subscriber that names the kinds it wants (Event.where) gets a delivery only for those:
chosen when the event is published, and shown by `manage.py events`."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from flowmart.common.money import Money
from flowmart.events import publish, relay
from flowmart.events.base import GIVEN, NONZERO
from flowmart.events.models import Delivery, InboxRecord, OutboxEvent
from flowmart.events.registry import register, subscriber, subscriber_id, subscribers_for, unregister
from tests.probe.handlers import ProbeHappened

SEEN = []


@subscriber_id("kindtest.note_flagged")
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
    assert "payments.note_stock_reserved (order_id=<given>, reason=reserved)" in out.getvalue()
    assert "payments.save_changed_method (change=payment_method, payment_method=<given>)" in out.getvalue()
    assert "notifications.on_sold_out (order_id=None)" in out.getvalue()
    assert "payments.record_order_discount (discount=<non-zero>)" in out.getvalue()


def test_a_subscriber_name_cannot_be_taken_twice_with_other_kinds(flagged_only):
    with pytest.raises(ValueError):
        register("kindtest", {ProbeHappened.where(note="plain"): [note_flagged]})


@pytest.mark.parametrize(
    "note, given", [("flagged", True), ("0", True), ("", False), (None, False), ((), False), (("x",), True)]
)
def test_given_wants_any_value_but_none_and_empty(note, given):
    assert ProbeHappened.where(note=GIVEN).match(ProbeHappened(note=note)) is given
    assert str(ProbeHappened.where(note=GIVEN)) == "note=<given>"


@pytest.mark.parametrize(
    "amount, wanted",
    [
        (Money(Decimal("5.00"), "USD"), True),
        (Money(Decimal("0.00"), "USD"), False),
        (Money(Decimal("0"), "JPY"), False),
        (Decimal("0.01"), True),
        (Decimal("0"), False),
        (3, True),
        (0, False),
        (None, False),  # stored before the event carried the amount
        ("5", False),  # not an amount
        (True, False),
    ],
)
def test_nonzero_wants_an_amount_other_than_zero(amount, wanted):
    assert ProbeHappened.where(note=NONZERO).match(ProbeHappened(note=amount)) is wanted
    assert str(ProbeHappened.where(note=NONZERO)) == "note=<non-zero>"


def test_kinds_of_one_field_combine_with_and():
    kinds = ProbeHappened.where(note=("flagged", "urgent"), correlation_id=GIVEN)
    assert kinds.match(ProbeHappened(note="urgent", correlation_id="c-1"))
    assert not kinds.match(ProbeHappened(note="plain", correlation_id="c-1"))
    assert kinds.name == "ProbeHappened"  # a key reads like its event class


@pytest.mark.django_db
def test_a_delivery_written_before_the_subscription_named_its_kinds_is_done_without_running(flagged_only):
    """A row for a kind the subscriber no longer wants (in flight over the deployment that
    narrowed it, or a dead one replayed) is done with: its function does not run."""
    with transaction.atomic():
        publish(ProbeHappened(note="plain"))
    row = OutboxEvent.objects.get(name="ProbeHappened")
    stale = Delivery.objects.create(event=row, subscriber="kindtest.note_flagged")
    assert not subscriber("kindtest.note_flagged").wants(row.to_event())

    assert relay.deliver(stale.pk) == "done"
    assert SEEN == []
    assert InboxRecord.objects.filter(event_id=row.event_id, subscriber="kindtest.note_flagged").exists()
