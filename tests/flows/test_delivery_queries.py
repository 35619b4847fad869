"""Query budget per subscriber: the SQL statements each subscriber's handler runs for one
delivery of an ordinary paid checkout (one line, dummy provider, pm_card_visa), every context
wired. A subscriber that starts reading row by row, or a new subscriber on the saga's events,
fails here with the whole measured table in the message.

Counted: the handler's own statements (what it reads and writes, the events it publishes).
Not counted: the dispatcher's per delivery (claim, inbox row, transaction), which
tests/events fixes, and the deliveries the handler's events cause (counted as theirs).

When a change moves a number on purpose, copy the measured table from the failure message."""

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flowmart.events import registry

from .conftest import checkout, order, register

pytestmark = pytest.mark.django_db(transaction=True)

# {subscriber: statements in its most expensive delivery of either checkout}. A subscriber that
# would return at once for these orders names the kinds it wants instead (Event.where): no
# delivery, no line here (payments.record_order_discount wants only discounted orders,
# notifications.on_order_status_changed only cancellations, notifications.on_stock_changed no reservation).
DELIVERY_QUERIES = {
    "billing.invoice_paid_order": 5,
    "billing.note_order": 1,
    "catalog.count_confirmed_order": 1,
    "catalog.update_availability": 1,
    "inventory.keep_paid_reservations": 1,
    "inventory.reserve_confirmed_order": 3,
    "notifications.keep_order": 1,
    "notifications.keep_shipment": 1,
    "notifications.on_payment_processed": 2,
    "orders.keep_availability": 1,
    "orders.on_payment_processed": 2,
    "orders.on_shipment_created": 1,
    "orders.on_stock_reserved": 2,
    "payments.hold_payment_request": 10,
    "payments.note_stock_reserved": 2,
    "payments.settle_capture": 3,
    "payments.settle_confirmed_lines": 3,
    "recommendations.count_paid_order": 3,
    "recommendations.remember_order": 1,
    "reviews.keep_order": 1,
    "shipping.create_shipments_when_paid": 5,
    "shipping.note_order_allocations": 3,
    "shipping.note_order_destination": 1,
}


@pytest.fixture
def per_delivery(monkeypatch) -> dict[str, int]:
    """Wrap every registered handler so each delivery's statements are counted under its
    subscriber's name (the most of any delivery of it); returns the live table."""
    measured: dict[str, int] = {}

    def counted(sub: registry.Subscriber) -> registry.Subscriber:
        def function(event):
            with CaptureQueriesContext(connection) as queries:
                sub.function(event)
            measured[sub.name] = max(measured.get(sub.name, 0), len(queries))

        function.__name__ = sub.function.__name__
        return dataclasses.replace(sub, function=function)

    wrapped = {name: counted(sub) for name, sub in registry._SUBSCRIBERS.items()}
    by_event = {event: [wrapped[sub.name] for sub in subs] for event, subs in registry._BY_EVENT.items()}
    monkeypatch.setattr(registry, "_SUBSCRIBERS", wrapped)
    monkeypatch.setattr(registry, "_BY_EVENT", by_event)
    return measured


def test_each_subscriber_of_a_paid_checkout_keeps_its_query_budget(shop, per_delivery):
    buyer = register()
    per_delivery.clear()  # what signing up caused is not the checkout's

    # A customer's first order and a later one (some subscribers do more the first time).
    for _ in range(2):
        placed = checkout(buyer, {"FLOW-RED": 1})
        assert order(buyer, placed["order_id"])["status"] == "paid"

    measured = dict(sorted(per_delivery.items()))
    assert measured == DELIVERY_QUERIES, f"measured per delivery:\n{_table(measured)}"


def _table(measured: dict[str, int]) -> str:
    return "DELIVERY_QUERIES = {\n" + "".join(f'    "{name}": {n},\n' for name, n in measured.items()) + "}"
