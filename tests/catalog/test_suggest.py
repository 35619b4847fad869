"""GET /api/v1/search/suggest/?q=: names and SKUs starting with what the shopper typed,
ranked by popularity counted from OrderConfirmed (orders' event, never its tables)."""

import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext

from flowmart.catalog import services
from flowmart.catalog.models import Product, ProductPopularity, SearchSuggestion
from flowmart.common.money import Money
from flowmart.contracts.common import Address
from flowmart.contracts.orders import OrderConfirmed, OrderLine
from flowmart.events import publish
from flowmart.events.models import Delivery

from .factories import make_product, variant

pytestmark = pytest.mark.django_db

SUGGEST = "/api/v1/search/suggest/"
ADDRESS = Address(name="Ada", line1="1 Row", line2="", city="Boston", postal_code="02108", country="US", phone="")


def suggest(client, q, **params):
    response = client.get(SUGGEST, {"q": q, **params})
    assert response.status_code == 200, response.json()
    assert response.json()["query"] == q
    return [(s["kind"], s["text"]) for s in response.json()["suggestions"]]


def confirmed(order_id, *lines):
    return OrderConfirmed(
        order_id=order_id,
        order_number=f"FM-{order_id:06d}",
        customer_id=1,
        customer_email="ada@example.com",
        lines=tuple(
            OrderLine(sku=sku, name=sku, quantity=q, unit_price=Money(Decimal("10"), "USD"), seller_id=1)
            for sku, q in lines
        ),
        shipping_address=ADDRESS,
        shipping_method="standard",
        total=Money(Decimal("10"), "USD"),
    )


@pytest.fixture
def headphones():
    return {
        "studio": make_product("Studio Headphones", variants=[variant(sku="HP-STUDIO-1"), variant(sku="HP-STUDIO-2")]),
        "travel": make_product("Travel Headphones", variants=[variant(sku="HP-TRAVEL-1")]),
        "hearth": make_product("Hearth Rug", variants=[variant(sku="RUG-1")]),
    }


def test_names_starting_with_the_prefix_at_any_word(api_client, headphones):
    assert suggest(api_client, "hea") == [
        ("name", "Hearth Rug"),
        ("name", "Studio Headphones"),
        ("name", "Travel Headphones"),
    ]
    assert suggest(api_client, "Studio HEAD") == [("name", "Studio Headphones")]
    assert suggest(api_client, "phones") == []  # inside a word is not a prefix


def test_the_most_bought_come_first(api_client, headphones):
    services.record_order([("HP-TRAVEL-1", 1)])
    services.record_order([("HP-TRAVEL-1", 2), ("RUG-1", 1)])
    services.record_order([("RUG-1", 5)])
    services.record_order([("RUG-1", 1)])

    assert suggest(api_client, "hea") == [
        ("name", "Hearth Rug"),  # 3 orders
        ("name", "Travel Headphones"),  # 2 orders
        ("name", "Studio Headphones"),  # none
    ]


@pytest.mark.django_db(transaction=True)  # deliveries start after commit
def test_order_confirmed_counts_through_the_dispatcher_once_per_order(api_client, headphones):
    with transaction.atomic():
        publish(confirmed(1, ("HP-STUDIO-1", 1), ("HP-STUDIO-2", 2), ("UNKNOWN-SKU", 1)))

    assert Delivery.objects.get(subscriber="catalog.count_confirmed_order").status == "done"
    popularity = ProductPopularity.objects.get(product=headphones["studio"])
    assert (popularity.orders, popularity.units) == (1, 3)  # one order, three units over its two SKUs
    assert suggest(api_client, "hea")[0] == ("name", "Studio Headphones")


def test_skus_follow_the_names(api_client, headphones):
    services.record_order([("HP-TRAVEL-1", 1)])

    assert suggest(api_client, "hp-") == [
        ("sku", "HP-TRAVEL-1"),
        ("sku", "HP-STUDIO-1"),
        ("sku", "HP-STUDIO-2"),
    ]
    assert suggest(api_client, "hp-studio-2") == [("sku", "HP-STUDIO-2")]


def test_a_suggestion_links_to_its_product(api_client, headphones):
    body = api_client.get(SUGGEST, {"q": "travel"}).json()
    travel = headphones["travel"]

    assert body["suggestions"] == [
        {"text": "Travel Headphones", "kind": "name", "product_id": travel.id, "slug": travel.slug}
    ]


def test_fewer_than_two_characters_suggest_nothing(api_client, headphones):
    assert suggest(api_client, "h") == []
    assert suggest(api_client, "  ") == []
    body = api_client.get(SUGGEST).json()
    assert body == {"query": "", "suggestions": []}


def test_limit_and_bad_parameters(api_client, headphones):
    assert len(suggest(api_client, "hea", limit=2)) == 2
    for params in ({"q": "hea", "limit": 0}, {"q": "hea", "limit": 21}, {"q": "x" * 101}):
        response = api_client.get(SUGGEST, params)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.django_db(transaction=True)  # cached answers are dropped when a change commits
def test_only_what_the_storefront_sells_is_suggested(api_client, headphones):
    services.retire_product(headphones["studio"])
    services.update_variant(headphones["travel"].variants.get(), active=False)
    services.update_product(headphones["hearth"], name="Fireside Rug")

    assert suggest(api_client, "hea") == []
    assert suggest(api_client, "fire") == [("name", "Fireside Rug")]
    assert suggest(api_client, "hp-") == []

    services.activate_product(headphones["studio"])
    assert suggest(api_client, "hea") == [("name", "Studio Headphones")]


def test_one_query_per_suggestion_request(api_client, headphones):
    with CaptureQueriesContext(connection) as captured:
        suggest(api_client, "hea")

    assert len(captured) == 1


def test_popularity_stays_when_an_edit_rebuilds_the_rows(api_client, headphones):
    services.record_order([("HP-TRAVEL-1", 1)])
    services.update_product(headphones["travel"], name="Travel Headphones II")

    assert suggest(api_client, "hea")[0] == ("name", "Travel Headphones II")
    rows = SearchSuggestion.objects.filter(product=headphones["travel"])
    assert set(rows.values_list("popularity", flat=True)) == {1}


def test_rebuild_search_index_restores_what_bulk_writes_skipped(api_client, headphones):
    services.record_order([("RUG-1", 1)])
    SearchSuggestion.objects.all().delete()
    Product.objects.update(search_vector=None)

    call_command("rebuild_search_index", stdout=StringIO())

    assert suggest(api_client, "hea")[0] == ("name", "Hearth Rug")
    assert [p["name"] for p in api_client.get("/api/v1/products/", {"search": "rug"}).json()["results"]] == [
        "Hearth Rug"
    ]


def test_every_word_start_of_a_name_is_a_key():
    product = make_product("Pour-over  Kettle Max", variants=[variant(sku="PK-1")])

    keys = set(SearchSuggestion.objects.filter(product=product).values_list("key", flat=True))

    assert keys == {"pour-over kettle max", "over kettle max", "kettle max", "max", "pk-1"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_of_a_new_product_both_count():
    """Two orders confirmed at once for a product nobody bought yet: one creates the counter
    row, the other meets the unique key and adds to it."""
    make_product("Hot Item", variants=[variant(sku="HOT-1"), variant(sku="HOT-2")])
    barrier, errors = threading.Barrier(8), []

    def order(n):
        try:
            barrier.wait(timeout=30)
            services.record_order([("HOT-1", 1), ("HOT-2", n)])
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=order, args=(n,)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    popularity = ProductPopularity.objects.get(product__name="Hot Item")
    assert (popularity.orders, popularity.units) == (8, 8 + sum(range(1, 9)))


def test_a_one_sku_order_is_counted_in_one_statement(headphones):
    """The plain checkout's line: its product is found in the counting statement itself; a SKU
    this catalogue does not sell counts nothing."""
    with CaptureQueriesContext(connection) as captured:
        services.record_order([("RUG-1", 2), ("RUG-1", 1)])
    services.record_order([("UNKNOWN-SKU", 4)])

    assert len(captured) == 1, [q["sql"] for q in captured.captured_queries]
    assert ProductPopularity.objects.count() == 1
    popularity = ProductPopularity.objects.get()
    assert (popularity.product.name, popularity.orders, popularity.units) == ("Hearth Rug", 1, 3)
