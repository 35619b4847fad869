"""The shipping rate table is decoded once per stored version and process, and every quote still
reads the row's version: rates stored by a worker (another process) are quoted by the very next
checkout, nothing waits for a time to pass."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flowmart.orders import selectors
from flowmart.orders.models import Order, ShippingRateTable

from .conftest import US_ADDRESS, rate_table

pytestmark = pytest.mark.django_db


def us_standard(methods) -> str:
    return next(r for r in methods[0]["rates"] if r["country"] == "US")["price"]["amount"]


def test_the_next_checkout_quotes_the_rates_just_published(customer, shop, place, emit):
    first = place(customer, {"MUG-1": 1}, address=US_ADDRESS)
    emit(rate_table(revision=2, standard_us="7.25"))
    second = place(customer, {"MUG-1": 1}, address=US_ADDRESS)
    shipping = dict(Order.objects.filter(pk__in=[first, second]).values_list("pk", "shipping"))
    assert (shipping[first], shipping[second]) == (Decimal("5.00"), Decimal("7.25"))


def test_one_version_is_decoded_once_and_any_write_is_a_new_one(emit):
    assert selectors.rate_methods() == []  # no table yet
    emit(rate_table(revision=1, standard_us="5.00"))
    held = selectors.rate_methods()
    assert selectors.rate_methods() is held and us_standard(held) == "5.00"

    # A checkout reads the version with its cart: the table it holds costs no statement then.
    table = ShippingRateTable.objects.get()
    version = (table.revision, table.updated_at)
    with CaptureQueriesContext(connection) as queries:
        assert selectors.rate_methods(version) is held
    assert len(queries) == 0

    # Another process stores the table (the version moves with it): the next call here sees it.
    table.methods = [{**held[0], "rates": [{**held[0]["rates"][0], "price": {"amount": "6.00", "currency": "USD"}}]}]
    table.save()
    assert us_standard(selectors.rate_methods()) == "6.00"
    assert us_standard(selectors.rate_methods(version)) == "6.00"  # a version read before the write

    # A table written anew with the same revision (a reset database, a test) is not the held one.
    ShippingRateTable.objects.all().delete()
    ShippingRateTable.objects.create(pk=1, revision=table.revision, methods=[], updated_at=timezone.now())
    assert selectors.rate_methods() == []
    assert selectors.rate_methods((None, None)) == []  # the cart found no table
