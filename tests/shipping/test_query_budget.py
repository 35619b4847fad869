"""Statements per delivery of shipping's checkout subscribers (issue 15), each run inside a
transaction as the dispatcher runs it. The outbox rows of what they publish belong to the
dispatcher (counted by the events tests) and are left out, so these budgets move only when
shipping's own work does. No label is drawn inside the saga (see test_labels.py)."""

import pytest
from django.db import transaction

from flowmart.shipping import handlers
from flowmart.shipping.models import Shipment, ShippingMethod
from flowmart.shipping.services.fulfilment import DEFAULT_CARRIER
from tests.support.statements import budget, own_statements

from .conftest import SPLIT, inventory_adjusted, order_confirmed, payment_processed, published

pytestmark = pytest.mark.django_db

# Before issue 15: 5, 6 and 12 statements (the label PDF drawn inside the last); the outbox's
# two inserts per publish are not counted here.
# The order's projection row is one upsert, whichever event comes first (it was a locking read,
# and an insert and a second read for the first event: 4, 3, 6 and 8).
NOTE_ORDER_DESTINATION = 1  # destination, method and lines written in the same upsert
NOTE_ORDER_ALLOCATIONS = 3
CREATE_SHIPMENTS_WHEN_PAID = 4  # paid_at written in the upsert, the method read with the allocations
CREATE_TWO_SHIPMENTS_WHEN_PAID = 6


def test_a_checkouts_shipping_deliveries_in_a_fixed_number_of_statements(rate_table):
    budget(own_statements(lambda: handlers.note_order_destination(order_confirmed(401))), NOTE_ORDER_DESTINATION)
    reserved = inventory_adjusted(401, SPLIT[:1])
    budget(own_statements(lambda: handlers.note_order_allocations(reserved)), NOTE_ORDER_ALLOCATIONS)
    paid = payment_processed(401)
    budget(own_statements(lambda: handlers.create_shipments_when_paid(paid)), CREATE_SHIPMENTS_WHEN_PAID)
    [shipment] = Shipment.objects.filter(order_id=401)
    assert [e["shipment_id"] for e in published("ShipmentCreated", order_id=401)] == [shipment.pk]


def test_a_split_order_adds_only_its_second_parcels_rows(rate_table):
    """The shipping method is read once per order, and both parcels' events go out together."""
    with transaction.atomic():
        handlers.note_order_destination(order_confirmed(402))
        handlers.note_order_allocations(inventory_adjusted(402, SPLIT))
    sql = own_statements(lambda: handlers.create_shipments_when_paid(payment_processed(402)))
    budget(sql, CREATE_TWO_SHIPMENTS_WHEN_PAID)
    assert len(published("ShipmentCreated", order_id=402)) == 2


def test_the_carrier_comes_with_the_allocations_and_defaults_for_a_method_no_longer_sold(rate_table):
    for order_id, method in ((403, "express"), (404, "retired-method")):
        with transaction.atomic():
            handlers.note_order_destination(order_confirmed(order_id, method=method))
            handlers.note_order_allocations(inventory_adjusted(order_id, SPLIT[:1]))
            handlers.create_shipments_when_paid(payment_processed(order_id))
    carriers = dict(Shipment.objects.filter(order_id__in=(403, 404)).values_list("order_id", "carrier"))
    assert carriers == {403: ShippingMethod.objects.get(code="express").carrier, 404: DEFAULT_CARRIER}
