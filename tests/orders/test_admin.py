"""The operations admin for orders and carts renders, filters and searches."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    admin = get_user_model().objects.create_superuser(email="ops@example.com", password="S3cure-pass-123")
    client.force_login(admin)
    return client


def test_order_admin_lists_filters_searches_and_shows_an_order(staff_client, customer, shop, place):
    order_id = place(customer, {"MUG-1": 1})
    number = f"FM-{order_id:08d}"
    assert number in staff_client.get("/admin/orders/order/").content.decode()
    assert number in staff_client.get("/admin/orders/order/?status__exact=pending").content.decode()
    assert number not in staff_client.get("/admin/orders/order/?status__exact=paid").content.decode()
    assert number in staff_client.get(f"/admin/orders/order/?q={customer.user.email}").content.decode()
    page = staff_client.get(f"/admin/orders/order/{order_id}/change/").content.decode()
    assert "MUG-1" in page and "pending: order placed" in page


def test_cart_admin_renders(staff_client, customer, shop, fill_cart):
    cart_id = fill_cart(customer, {"MUG-1": 1})
    assert staff_client.get("/admin/orders/cart/").status_code == 200
    assert staff_client.get(f"/admin/orders/cart/{cart_id}/change/").status_code == 200
