"""Full-text search on PostgreSQL: stemmed, ranked (name above description), GIN-indexed."""

import pytest
from django.db import connection

from flowmart.catalog import services

from .factories import make_product

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def search(client, text, **params):
    response = client.get(PRODUCTS, {"search": text, **params})
    assert response.status_code == 200, response.json()
    return [p["name"] for p in response.json()["results"]]


@pytest.fixture
def products():
    return [
        make_product("Travel Mug", description="Keeps coffee hot on the trail."),
        make_product("Coffee Grinder", description="Burr grinder for fresh coffee, coffee lovers' choice."),
        make_product("Tea Kettle", description="For tea."),
        make_product("Coffee Beans", description="Single-origin beans."),
    ]


def test_matches_rank_name_hits_above_description_hits(api_client, products):
    found = search(api_client, "coffee")

    assert set(found) == {"Travel Mug", "Coffee Grinder", "Coffee Beans"}
    assert found[-1] == "Travel Mug"  # only its description mentions coffee


def test_search_is_stemmed_and_accepts_web_syntax(api_client, products):
    assert search(api_client, "grinders") == ["Coffee Grinder"]
    assert set(search(api_client, "coffee -beans")) == {"Travel Mug", "Coffee Grinder"}
    assert search(api_client, '"tea kettle"') == ["Tea Kettle"]
    assert search(api_client, "nothing-like-this") == []


def test_explicit_ordering_overrides_the_ranking(api_client, products):
    assert search(api_client, "coffee", ordering="name") == ["Coffee Beans", "Coffee Grinder", "Travel Mug"]


def test_the_vector_follows_edits(api_client, products):
    services.update_product(products[2], name="Herbal Infuser")

    assert search(api_client, "infuser") == ["Herbal Infuser"]
    assert search(api_client, "kettle") == []


def test_search_combines_with_filters(api_client, products):
    services.retire_product(products[1])

    assert search(api_client, "coffee") == ["Coffee Beans", "Travel Mug"]


def test_the_stored_vector_has_a_gin_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'product_search_idx'")
        (definition,) = cursor.fetchone()

    assert "USING gin (search_vector)" in definition


def test_without_postgresql_search_falls_back_to_a_substring_match(api_client, products, settings):
    settings.IS_POSTGRES = False  # the embedded default (SQLite) has no full-text search

    assert set(search(api_client, "grind")) == {"Coffee Grinder"}
    assert set(search(api_client, "HOT ON")) == {"Travel Mug"}
