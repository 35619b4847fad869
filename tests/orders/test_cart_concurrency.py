"""Carts under simultaneous requests: real threads, each on its own connection."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from flowmart.orders.models import Cart, CartItem

pytestmark = pytest.mark.django_db(transaction=True)


def in_parallel(token, calls, count=4):
    barrier, results = threading.Barrier(count), []

    def run(call):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait()
            results.append(call(client).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(calls,)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


def test_simultaneous_cart_creation_yields_one_open_cart(customer):
    assert in_parallel(customer.token, lambda c: c.post("/api/v1/carts/")) == [200, 200, 200, 201]
    assert Cart.objects.filter(customer_id=customer.user.id, status="open").count() == 1


def test_simultaneous_adds_of_one_sku_make_one_line_with_every_unit(customer, shop):
    cart_id = customer.post("/api/v1/carts/").json()["id"]
    add = lambda c: c.post(f"/api/v1/carts/{cart_id}/items/", {"sku": "MUG-1", "quantity": 3})  # noqa: E731
    assert in_parallel(customer.token, add) == [201] * 4
    assert list(CartItem.objects.values_list("variant_id", "quantity")) == [("MUG-1", 12)]
