"""Query budgets: checkout and order reads must not grow with the number of lines."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flowmart.contracts.shipping import ShipmentCreated
from flowmart.orders import selectors

from .conftest import checkout_body, payment, reserved

pytestmark = pytest.mark.django_db

# Measured (orders' subscribers only): auth, key claim (one insert, drawing the order's id), cart (with
# the rate table's version: the table this process holds costs no statement), items with variants,
# order insert (numbered), lines (one bulk insert), timeline, two outbox rows, empty the cart, key
# response, status re-read, and the savepoint pair of the test transaction. 19 while the rate table
# was read (and decoded) by every checkout.
CHECKOUT_BUDGET = 18  # + the re-check of the cart's stock, + closing the cart; promotions and tax
# add the SKUs' sale offers, the cart's vouchers and the destination's tax rates (one query each).
ORDER_READ_BUDGET = 7  # auth, order, lines, shipments, their tracking events, timeline, returns


@pytest.fixture
def five_skus(catalog_sku, rates, stock):
    skus = [catalog_sku(f"SKU-{n}", "10.00", weight=100) for n in range(5)]
    rates()
    # A process's first quote of a rate table reads and decodes it (one statement more); every
    # checkout after it finds the table's version with the cart (orders.selectors.rate_methods).
    selectors.rate_methods()
    stock(**dict.fromkeys(skus, 100))
    return skus


def test_checkout_of_five_lines_stays_within_budget(customer, five_skus, fill_cart):
    cart_id = fill_cart(customer, dict.fromkeys(five_skus, 2))
    with CaptureQueriesContext(connection) as queries:
        response = customer.post(
            "/api/v1/checkout/", checkout_body(cart_id), format="json", HTTP_IDEMPOTENCY_KEY="budget"
        )
    assert response.status_code == 201
    assert len(queries) <= CHECKOUT_BUDGET, "\n".join(q["sql"] for q in queries.captured_queries)


def _read_queries(client, order_id):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/v1/orders/{order_id}/").status_code == 200
    return len(queries)


def test_order_read_does_not_grow_with_lines_or_shipments(customer, five_skus, place, emit):
    small = place(customer, {five_skus[0]: 1})
    large = place(customer, dict.fromkeys(five_skus, 3))
    emit(reserved(small), payment(small), reserved(large), payment(large))
    emit(
        *[
            ShipmentCreated(
                shipment_id=n,
                order_id=small if n == 9 else large,
                warehouse_code=f"W{n}",
                carrier="postal",
                method="standard",
                tracking_number=f"T{n}",
                lines=(),
            )
            for n in (1, 2, 3, 9)
        ]
    )  # fmt: skip  (one parcel for the small order: its tracking steps are one query, as for three)
    assert _read_queries(customer, small) == _read_queries(customer, large) <= ORDER_READ_BUDGET
    with CaptureQueriesContext(connection) as queries:
        assert customer.get("/api/v1/orders/").status_code == 200
    assert len(queries) <= ORDER_READ_BUDGET + 1  # + the page count


# The four requests of the checkout benchmark's loop (bench/checkout.py) with a one-line cart: SQL
# statements each, exactly. Orders' subscribers only; inside the test's transaction every atomic
# block adds a savepoint pair. When a change moves a number on purpose, the message has the table.
BENCH_REQUEST_QUERIES = {
    "open cart": 5,  # auth, is one open, insert (a new cart has no lines or vouchers to read)
    "add item": 10,  # auth, lock the cart, the SKU, lines, stock, touch the cart, insert; sale offers (the
    # answer's `available` is the stock the check read)
    "checkout": 18,  # CHECKOUT_BUDGET's, for one line
    "order poll": 7,  # ORDER_READ_BUDGET's, the order having one parcel
}


def test_the_benchmark_requests_run_a_fixed_number_of_statements(customer, five_skus, emit):
    measured = {}

    def run(name, call, status):
        with CaptureQueriesContext(connection) as queries:
            response = call()
        assert response.status_code == status, response.content
        measured[name] = len(queries)
        return response.json()

    cart = run("open cart", lambda: customer.post("/api/v1/carts/", {}, format="json"), 201)
    item = {"sku": five_skus[0], "quantity": 1}
    run("add item", lambda: customer.post(f"/api/v1/carts/{cart['id']}/items/", item, format="json"), 201)
    placed = run(
        "checkout",
        lambda: customer.post(
            "/api/v1/checkout/", checkout_body(cart["id"]), format="json", HTTP_IDEMPOTENCY_KEY="bench-loop"
        ),
        201,
    )
    order_id = placed["order_id"]
    parcel = ShipmentCreated(
        shipment_id=1, order_id=order_id, warehouse_code="W1", carrier="postal", method="standard",
        tracking_number="T1", lines=(),
    )  # fmt: skip
    emit(reserved(order_id), payment(order_id), parcel)
    run("order poll", lambda: customer.get(f"/api/v1/orders/{order_id}/"), 200)

    assert measured == BENCH_REQUEST_QUERIES, f"measured: {measured}"
