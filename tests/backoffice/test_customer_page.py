"""A customer's admin page leads to everything FlowMart keeps about them."""

import pytest

from flowmart.customers import services
from flowmart.customers.models import Address
from flowmart.orders.models import Order
from tests.backoffice.conftest import logged_in, order_with

pytestmark = pytest.mark.django_db


def test_customer_page_shows_addresses_by_country_and_links_their_records(make_customer, make_staff):
    buyer = make_customer(email="buyer@x.test").user
    services.save_address(
        Address(customer=buyer, name="Ada", line1="1 Rue", city="Lyon", postal_code="69001", country="FR")
    )
    ops = logged_in(make_staff(email="ops@x.test").user)
    page = ops.get(f"/admin/customers/user/{buyer.pk}/change/").content.decode()
    assert "France" in page
    for path in ("orders/order", "payments/payment", "notifications/message"):
        assert f"/admin/{path}/?customer_id={buyer.pk}" in page
    mine = order_with("FM-MINE", [("SKU-1", 1, 1)])
    Order.objects.filter(pk=mine.pk).update(customer_id=buyer.pk)
    order_with("FM-THEIRS", [("SKU-1", 1, 1)])
    listing = ops.get(f"/admin/orders/order/?customer_id={buyer.pk}").content.decode()
    assert "FM-MINE" in listing and "FM-THEIRS" not in listing
