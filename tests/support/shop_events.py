"""Other contexts played by the tests of reviews and recommendations: the events orders,
catalog and inventory would publish, delivered to the subscribers of the contexts under test."""

import itertools

import pytest
from django.db import transaction

from flowmart.contracts.inventory import InventoryAdjusted
from flowmart.contracts.orders import OrderClaimed, OrderConfirmed, OrderStatusChanged
from flowmart.events import publish, registry
from tests.support import contract_events

CONTEXTS = ("catalog", "reviews", "recommendations")
ADDRESS = contract_events.ADDRESS
_order_ids = itertools.count(50_000)


@pytest.fixture(autouse=True)
def only_these_contexts(monkeypatch):
    """Deliver only to catalog, reviews and recommendations: orders, shipping... are played here."""
    wired = {name: [s for s in subs if s.context in CONTEXTS] for name, subs in registry._BY_EVENT.items()}
    monkeypatch.setattr(registry, "_BY_EVENT", wired)


@pytest.fixture
def emit(django_capture_on_commit_callbacks):
    """emit(*events) or emit(callable): run in a transaction, then the subscribers as after a commit."""

    def _emit(*events):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            if len(events) == 1 and callable(events[0]):
                return events[0]()
            publish(*events)

    return _emit


def confirmed(order_id, customer_id, lines: dict[str, int], email="buyer@example.com") -> OrderConfirmed:
    return contract_events.order_confirmed(order_id, lines, customer_id=customer_id, email=email)


def status(order_id, customer_id, new, previous, **envelope) -> OrderStatusChanged:
    return contract_events.order_status_changed(order_id, new, previous, customer_id=customer_id, **envelope)


def claimed(order_id, customer_id) -> OrderClaimed:
    return OrderClaimed(order_id=order_id, customer_id=customer_id, email="buyer@example.com")


def stocked(**levels) -> InventoryAdjusted:
    return contract_events.inventory_adjusted("received", levels=levels)


@pytest.fixture
def order(emit):
    """order(customer_id, {sku: qty}, upto="delivered") → order id, taken through its events."""
    path = ["pending", "paid", "shipped", "delivered"]

    def _order(customer_id, lines, upto="delivered", order_id=None, **envelope):
        order_id = order_id or next(_order_ids)
        emit(confirmed(order_id, customer_id, lines))
        for previous, new in itertools.pairwise(path[: path.index(upto) + 1]):
            emit(status(order_id, customer_id, new, previous, **envelope))
        return order_id

    return _order
