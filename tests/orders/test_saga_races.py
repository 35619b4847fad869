"""The saga's everyday moves in one statement (lifecycle.move_at_once) keep locked()'s race
safety: events for one order delivered at the same moment, each in its own transaction on its
own PostgreSQL connection, move the order once each along the transition table, and every
OrderStatusChanged names the status the order really left."""

from decimal import Decimal

import pytest

from flowmart.common.money import Money
from flowmart.events.models import OutboxEvent
from flowmart.orders.models import Order, OrderTimelineEntry
from flowmart.orders.services import lifecycle
from tests.support.threads import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(*calls):
    assert run_at_once(*calls) == []


def _moves(order_id):
    return [
        (e.payload["previous_status"], e.payload["status"])
        for e in OutboxEvent.objects.filter(name="OrderStatusChanged").order_by("id")
        if e.payload["order_id"] == order_id
    ]


@pytest.mark.parametrize("attempt", range(3))  # a race: three tries at it
def test_simultaneous_reservations_and_payments_move_the_order_once_each(customer, shop, place, attempt):
    order_id = place(customer, {"MUG-1": 1})
    paid = Money(Decimal("17.50"), "USD")
    _at_once(
        *[lambda: lifecycle.stock_reserved(order_id)] * 3,
        *[lambda: lifecycle.payment_processed(order_id, 1, True, paid, None)] * 3,
    )
    order = Order.objects.get(pk=order_id)
    assert (order.status, order.payment_status) == ("paid", "paid")
    moves = _moves(order_id)
    # Reserved first then paid, or paid first (the reservation is then stale): never twice, and
    # each event's previous status is where the one before it left the order.
    assert moves in ([("pending", "awaiting_payment"), ("awaiting_payment", "paid")], [("pending", "paid")])
    notes = OrderTimelineEntry.objects.filter(order_id=order_id, event__regex=r"^(awaiting_payment|paid): ")
    assert notes.count() == len(moves)


def test_a_dispute_hold_is_not_overtaken_by_the_one_statement_move(customer, shop, place):
    """held_from is checked on the locked row: a payment arriving for an order held for a
    dispute leaves it on hold (and is noted), as _payment_succeeded decides."""
    order_id = place(customer, {"MUG-1": 1})
    Order.objects.filter(pk=order_id).update(status="on_hold", held_from="paid")
    lifecycle.payment_processed(order_id, 7, True, Money(Decimal("17.50"), "USD"), None)
    order = Order.objects.get(pk=order_id)
    assert (order.status, order.held_from) == ("on_hold", "paid")
    assert _moves(order_id) == []
    assert OrderTimelineEntry.objects.filter(order_id=order_id, event__contains="held for a dispute").exists()
