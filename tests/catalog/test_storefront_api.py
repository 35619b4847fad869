"""The storefront catalogue API (anonymous reads), its filters, ordering and query budget."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flowmart.catalog import cache as list_cache
from flowmart.catalog import services
from flowmart.catalog.handlers import update_availability
from flowmart.common.money import Money
from flowmart.contracts.inventory import InventoryAdjusted, StockLevel

from .factories import CategoryFactory, SellerFactory, make_product, variant

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def names(response):
    assert response.status_code == 200, response.json()
    return [p["name"] for p in response.json()["results"]]


def stock(**levels):
    update_availability(
        InventoryAdjusted(
            reason="received",
            order_id=None,
            amendment_id=None,
            allocations=(),
            levels=tuple(StockLevel(sku=sku, available=n) for sku, n in levels.items()),
        )
    )


@pytest.fixture
def shop():
    """Two sellers, a category tree (outdoor > apparel > jackets; kitchen), four products."""
    northwind, kettle = SellerFactory(slug="northwind"), SellerFactory(slug="kettle")
    outdoor = CategoryFactory(slug="outdoor")
    apparel = CategoryFactory(slug="apparel", parent=outdoor)
    jackets = CategoryFactory(slug="jackets", parent=apparel)
    kitchen = CategoryFactory(slug="kitchen")
    now = timezone.now()
    return {
        "stove": make_product(
            "Camp Stove",
            seller=northwind,
            category=outdoor,
            variants=[variant("79.50", sku="STOVE-1")],
            created_at=now - timedelta(days=3),
        ),
        "jacket": make_product(
            "Trail Jacket",
            seller=northwind,
            category=jackets,
            variants=[variant("129.00", sku="JACKET-S"), variant("119.00", sku="JACKET-XS", active=False)],
            created_at=now - timedelta(days=2),
        ),
        "kettle": make_product(
            "Pour-over Kettle",
            seller=kettle,
            category=kitchen,
            variants=[variant("59.00", sku="KETTLE-1"), variant("65.00", sku="KETTLE-2")],
            created_at=now - timedelta(days=1),
        ),
        "retired": make_product(
            "Old Kettle", seller=kettle, category=kitchen, variants=[variant("5.00")], active=False
        ),
    }


def test_anonymous_list_shows_active_products_newest_first(api_client, shop):
    response = api_client.get(PRODUCTS)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results", "facets"}  # API.md's page, plus facets
    assert names(response) == ["Pour-over Kettle", "Trail Jacket", "Camp Stove"]
    card = body["results"][0]
    assert card["category"]["slug"] == "kitchen" and card["seller"]["slug"] == "kettle"
    assert card["price"] == {"amount": "59.00", "currency": "USD"}
    assert card["in_stock"] is False


def test_card_price_ignores_inactive_variants(api_client, shop):
    jacket = next(p for p in api_client.get(PRODUCTS).json()["results"] if p["slug"] == shop["jacket"].slug)

    assert jacket["price"]["amount"] == "129.00"


def test_pagination_and_page_size(api_client, shop):
    first = api_client.get(PRODUCTS, {"page_size": 2}).json()
    second = api_client.get(PRODUCTS, {"page_size": 2, "page": 2}).json()

    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    assert len(second["results"]) == 1 and second["previous"]
    assert api_client.get(PRODUCTS, {"page": 9}).status_code == 404


def test_category_filter_includes_descendant_categories(api_client, shop):
    assert names(api_client.get(PRODUCTS, {"category": "outdoor"})) == ["Trail Jacket", "Camp Stove"]
    assert names(api_client.get(PRODUCTS, {"category": "apparel"})) == ["Trail Jacket"]
    assert names(api_client.get(PRODUCTS, {"category": "nowhere"})) == []


def test_seller_filter(api_client, shop):
    assert names(api_client.get(PRODUCTS, {"seller": "kettle"})) == ["Pour-over Kettle"]


def test_price_range_matches_any_active_variant(api_client, shop):
    assert names(api_client.get(PRODUCTS, {"min_price": "60", "max_price": "80"})) == [
        "Pour-over Kettle",
        "Camp Stove",
    ]
    assert names(api_client.get(PRODUCTS, {"min_price": "100"})) == ["Trail Jacket"]
    # The inactive 119.00 jacket variant does not count.
    assert names(api_client.get(PRODUCTS, {"min_price": "110", "max_price": "120"})) == []
    assert names(api_client.get(PRODUCTS, {"max_price": "59"})) == ["Pour-over Kettle"]


def test_in_stock_filter_follows_the_availability_projection(api_client, shop):
    stock(**{"KETTLE-2": 3, "STOVE-1": 0, "JACKET-XS": 5})  # JACKET-XS is inactive: does not count

    assert names(api_client.get(PRODUCTS, {"in_stock": "true"})) == ["Pour-over Kettle"]
    assert names(api_client.get(PRODUCTS, {"in_stock": "false"})) == ["Trail Jacket", "Camp Stove"]


@pytest.mark.parametrize(
    "ordering,expected",
    [
        ("price", ["Pour-over Kettle", "Camp Stove", "Trail Jacket"]),
        ("-price", ["Trail Jacket", "Camp Stove", "Pour-over Kettle"]),
        ("name", ["Camp Stove", "Pour-over Kettle", "Trail Jacket"]),
        ("-created_at", ["Pour-over Kettle", "Trail Jacket", "Camp Stove"]),
    ],
)
def test_ordering(api_client, shop, ordering, expected):
    assert names(api_client.get(PRODUCTS, {"ordering": ordering})) == expected


@pytest.mark.parametrize(
    "params,field",
    [
        ({"ordering": "price;drop"}, "ordering"),
        ({"min_price": "cheap"}, "min_price"),
        ({"in_stock": "maybe"}, "in_stock"),
    ],
)
def test_bad_filter_values_are_400(api_client, shop, params, field):
    response = api_client.get(PRODUCTS, params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["fields"]


def test_detail_with_active_variants_and_their_availability(api_client, shop):
    stock(**{"KETTLE-1": 4})
    kettle = shop["kettle"]

    response = api_client.get(f"{PRODUCTS}{kettle.id}/")

    assert response.status_code == 200
    body = response.json()
    assert {"id", "name", "slug", "description", "category", "seller", "variants"} <= set(body)
    assert body["variants"] == [
        {
            "sku": "KETTLE-1",
            "name": "Standard",
            "price": {"amount": "59.00", "currency": "USD"},
            "available": 4,
            "attributes": {},
            "weight_grams": 500,
            "original_price": None,  # no sale or deal (docs/promotions.md)
            "sale": None,
            "deal": None,
        },
        {
            "sku": "KETTLE-2",
            "name": "Standard",
            "price": {"amount": "65.00", "currency": "USD"},
            "available": 0,
            "attributes": {},
            "weight_grams": 500,
            "original_price": None,  # no sale or deal (docs/promotions.md)
            "sale": None,
            "deal": None,
        },
    ]
    jacket = api_client.get(f"{PRODUCTS}{shop['jacket'].id}/").json()
    assert [v["sku"] for v in jacket["variants"]] == ["JACKET-S"]


def test_unknown_and_retired_products_are_404(api_client, shop):
    for product_id in (999_999, shop["retired"].id):
        response = api_client.get(f"{PRODUCTS}{product_id}/")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_retiring_hides_a_product_at_once(api_client, shop):
    services.retire_product(shop["stove"])

    assert "Camp Stove" not in names(api_client.get(PRODUCTS))
    assert api_client.get(f"{PRODUCTS}{shop['stove'].id}/").status_code == 404


def test_categories_list(api_client, shop):
    response = api_client.get("/api/v1/categories/")

    assert response.status_code == 200
    rows = {c["slug"]: c for c in response.json()["results"]}
    assert set(rows) == {"outdoor", "apparel", "jackets", "kitchen"}
    assert rows["jackets"]["parent"] == "apparel" and rows["outdoor"]["parent"] is None


def test_a_logged_in_customer_reads_the_same_catalogue(customer, shop):
    assert names(customer.get(PRODUCTS)) == ["Pour-over Kettle", "Trail Jacket", "Camp Stove"]


def test_list_query_count_does_not_grow_with_the_page_size(api_client):
    seller, category = SellerFactory(), CategoryFactory()
    for n in range(60):
        make_product(f"Item {n}", seller=seller, category=category, prices=("10.00", "12.00"))

    def queries(page_size):
        with CaptureQueriesContext(connection) as captured:
            response = api_client.get(PRODUCTS, {"page_size": page_size, "search": "item", "in_stock": "false"})
        assert len(response.json()["results"]) == page_size
        return len(captured)

    small, large = queries(5), queries(50)
    # count and page; four facets and the category tree; the search transaction's savepoint,
    # typo threshold and release (tests run inside a transaction, so atomic() is a savepoint)
    assert small == large <= 10


def test_detail_query_count_does_not_grow_with_the_variants(api_client, django_assert_max_num_queries):
    product = make_product(prices=[f"{n}.00" for n in range(1, 30)])

    with django_assert_max_num_queries(3):
        response = api_client.get(f"{PRODUCTS}{product.id}/")
    assert len(response.json()["variants"]) == 29


@pytest.mark.django_db(transaction=True)
def test_cached_pages_never_outlive_a_committed_change(api_client):
    """List pages are cached; a price change, a retirement or new stock shows at once."""
    product = make_product("Lamp", variants=[variant("20.00", sku="LAMP-1")])
    assert api_client.get(PRODUCTS).json()["results"][0]["price"]["amount"] == "20.00"
    assert api_client.get(PRODUCTS).json()["results"][0]["in_stock"] is False  # served from the cache

    services.update_variant(product.variants.get(), price=Money(Decimal("25.00"), "USD"))
    assert api_client.get(PRODUCTS).json()["results"][0]["price"]["amount"] == "25.00"

    stock(**{"LAMP-1": 2})
    assert api_client.get(PRODUCTS).json()["results"][0]["in_stock"] is True

    services.retire_product(product)
    assert api_client.get(PRODUCTS).json()["count"] == 0


def test_a_product_without_any_active_variant_is_not_listed(api_client, shop):
    services.update_variant(shop["stove"].variants.get(), active=False)

    assert names(api_client.get(PRODUCTS)) == ["Pour-over Kettle", "Trail Jacket"]
    assert names(api_client.get(PRODUCTS, {"ordering": "-price"})) == ["Trail Jacket", "Pour-over Kettle"]


@pytest.mark.django_db(transaction=True)
def test_other_workers_see_a_change_within_the_version_check_interval(api_client, settings):
    """Another process moving the version (here: the shared key, set directly) is noticed
    once this process's check interval has passed; until then its own copy is served."""
    settings.CATALOG_LIST_VERSION_CHECK_SECONDS = 3600
    make_product("Lamp", variants=[variant("20.00", sku="LAMP-1")])
    first = api_client.get(PRODUCTS).content

    list_cache.cache.set(list_cache.VERSION_KEY, "moved-by-another-worker", timeout=None)
    list_cache.cache.delete_many(list(list_cache._local["pages"]))
    assert api_client.get(PRODUCTS).content == first  # still this process's copy

    list_cache._local["checked_at"] = float("-inf")  # the interval has passed
    assert list_cache.lookup("http://testserver/api/v1/products/")[1] is None
