"""Facets in the product list: counts per category (rolled up the tree), seller, price range
and stock, each ignoring its own filter, in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from flowmart.catalog.handlers import update_availability
from flowmart.contracts.inventory import InventoryAdjusted, StockLevel

from .factories import CategoryFactory, SellerFactory, make_product, variant

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def facets(client, **params):
    response = client.get(PRODUCTS, params)
    assert response.status_code == 200, response.json()
    return response.json()["facets"]


def counts(buckets, key="slug"):
    return {bucket[key]: bucket["count"] for bucket in buckets}


@pytest.fixture
def shop():
    """audio > headphones; kitchen. Two sellers. Prices 19.99 to 649; two SKUs in stock."""
    acme, kettle = SellerFactory(slug="acme", name="Acme Audio"), SellerFactory(slug="kettle", name="Kettle & Co")
    audio = CategoryFactory(slug="audio", name="Audio")
    headphones = CategoryFactory(slug="headphones", name="Headphones", parent=audio)
    kitchen = CategoryFactory(slug="kitchen", name="Kitchen")
    make_product("Studio Headphones", seller=acme, category=headphones, variants=[variant("199.00", sku="HP-1")])
    make_product("Travel Headphones", seller=acme, category=headphones, variants=[variant("79.00", sku="HP-2")])
    make_product(
        "Bookshelf Speaker",
        seller=acme,
        category=audio,
        variants=[variant("649.00", sku="SPK-1"), variant("149.00", sku="SPK-2")],
    )
    make_product("Pour-over Kettle", seller=kettle, category=kitchen, variants=[variant("59.00", sku="KT-1")])
    make_product("Coffee Filters", seller=kettle, category=kitchen, variants=[variant("19.99", sku="CF-1")])
    make_product("Retired Kettle", seller=kettle, category=kitchen, variants=[variant("5.00")], active=False)
    update_availability(
        InventoryAdjusted(
            reason="received",
            order_id=None,
            amendment_id=None,
            allocations=(),
            levels=(StockLevel(sku="HP-1", available=3), StockLevel(sku="KT-1", available=1)),
        )
    )


def test_every_facet_counts_the_listed_products(api_client, shop):
    found = facets(api_client)

    assert found["category"] == [
        {"slug": "audio", "name": "Audio", "parent": None, "count": 3},
        {"slug": "headphones", "name": "Headphones", "parent": "audio", "count": 2},
        {"slug": "kitchen", "name": "Kitchen", "parent": None, "count": 2},
    ]
    assert found["seller"] == [
        {"slug": "acme", "name": "Acme Audio", "count": 3},
        {"slug": "kettle", "name": "Kettle & Co", "count": 2},
    ]
    assert found["price"] == [
        {"min_price": "0.00", "max_price": "25.00", "count": 1},
        {"min_price": "50.00", "max_price": "100.00", "count": 2},
        {"min_price": "100.00", "max_price": "200.00", "count": 2},  # the speaker's 149 variant, the 199 headphones
        {"min_price": "500.00", "max_price": None, "count": 1},
    ]
    assert found["in_stock"] == [{"value": True, "count": 2}, {"value": False, "count": 3}]


def test_facets_follow_the_search(api_client, shop):
    found = facets(api_client, search="headphones")

    assert counts(found["category"]) == {"audio": 2, "headphones": 2}
    assert counts(found["seller"]) == {"acme": 2}
    assert counts(found["price"], "min_price") == {"50.00": 1, "100.00": 1}
    assert counts(found["in_stock"], "value") == {True: 1, False: 1}


def test_a_facet_ignores_its_own_filter_but_not_the_others(api_client, shop):
    found = facets(api_client, category="headphones", in_stock="true")

    # category: all categories of what is in stock; in stock: everything in headphones.
    assert counts(found["category"]) == {"audio": 1, "headphones": 1, "kitchen": 1}
    assert counts(found["in_stock"], "value") == {True: 1, False: 1}
    # seller and price: headphones that are in stock.
    assert counts(found["seller"]) == {"acme": 1}
    assert counts(found["price"], "min_price") == {"100.00": 1}


def test_a_price_bucket_counts_what_its_filter_lists(api_client, shop):
    bucket = next(b for b in facets(api_client)["price"] if b["min_price"] == "100.00")
    listed = api_client.get(PRODUCTS, {"min_price": bucket["min_price"], "max_price": "199.99"}).json()

    assert listed["count"] == bucket["count"] == 2
    assert counts(facets(api_client, min_price="100", max_price="199.99")["price"], "min_price") == {
        "0.00": 1,
        "50.00": 2,
        "100.00": 2,
        "500.00": 1,
    }


def test_a_search_without_results_has_empty_facets(api_client, shop):
    assert facets(api_client, search="nothing-like-this") == {"category": [], "seller": [], "price": [], "in_stock": []}


def test_facet_queries_are_a_fixed_number_whatever_the_page_or_result_size(api_client, shop):
    seller, category = SellerFactory(), CategoryFactory()
    for n in range(40):
        make_product(f"Speaker {n}", seller=seller, category=category, prices=("30.00", "130.00"))
    params = {"search": "speaker", "category": "audio", "seller": "acme", "min_price": "1", "in_stock": "false"}

    def queries(**extra):
        with CaptureQueriesContext(connection) as captured:
            response = api_client.get(PRODUCTS, {**params, **extra})
        assert response.status_code == 200
        return len(captured), response.json()

    few, narrow = queries(page_size=1)
    many, wide = queries(page_size=100, category="", seller="", min_price="")
    assert narrow["count"] == 1 and wide["count"] == 41
    assert len(wide["facets"]["category"]) == 2
    # savepoint + set_config + release (the search transaction), the category tree, count, page, four facets
    assert few == many <= 10


def test_a_parent_loop_made_in_the_admin_neither_hangs_nor_breaks_the_list(api_client, shop):
    from flowmart.catalog.models import Category

    audio, headphones = Category.objects.get(slug="audio"), Category.objects.get(slug="headphones")
    Category.objects.filter(pk=audio.pk).update(parent=headphones)  # audio > headphones > audio

    found = facets(api_client, category="audio")

    assert counts(found["category"]) == {"audio": 3, "headphones": 3, "kitchen": 2}
    assert api_client.get(PRODUCTS, {"category": "headphones"}).json()["count"] == 3
