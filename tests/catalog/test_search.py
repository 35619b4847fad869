"""Search on PostgreSQL: stemmed full text over names and descriptions, SKUs, typo tolerance
(pg_trgm), ranked by relevance then popularity, every branch served by an index."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from flowmart.catalog import services
from flowmart.catalog.search import WORD_SIMILARITY_THRESHOLD

from .factories import make_product, variant

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"


def search(client, text, **params):
    response = client.get(PRODUCTS, {"search": text, "page_size": 100, **params})
    assert response.status_code == 200, response.json()
    return [p["name"] for p in response.json()["results"]]


@pytest.fixture
def products():
    return [
        make_product(
            "Travel Mug", description="Keeps coffee hot on the trail.", variants=[variant(sku="MUG-TRAVEL-1")]
        ),
        make_product("Coffee Grinder", description="Burr grinder for fresh coffee, coffee lovers' choice."),
        make_product("Tea Kettle", description="For tea.", variants=[variant(sku="KTL-200"), variant(sku="KTL-201")]),
        make_product("Coffee Beans", description="Single-origin beans."),
    ]


@pytest.fixture
def demo_catalog():
    call_command("demo_catalog", stdout=StringIO())


def test_matches_rank_name_hits_above_description_hits(api_client, products):
    found = search(api_client, "coffee")

    assert set(found) == {"Travel Mug", "Coffee Grinder", "Coffee Beans"}
    assert found[-1] == "Travel Mug"  # only its description mentions coffee


def test_a_word_only_in_the_description_finds_the_product(api_client, products):
    assert search(api_client, "burr") == ["Coffee Grinder"]
    assert search(api_client, "trail") == ["Travel Mug"]


def test_search_is_stemmed_and_accepts_web_syntax(api_client, products):
    assert search(api_client, "grinders") == ["Coffee Grinder"]
    assert set(search(api_client, "coffee -beans")) == {"Travel Mug", "Coffee Grinder"}
    assert search(api_client, '"tea kettle"') == ["Tea Kettle"]
    assert search(api_client, "nothing-like-this") == []


def test_a_sku_finds_its_product_exactly_by_prefix_and_in_any_case(api_client, products):
    assert search(api_client, "KTL-201") == ["Tea Kettle"]
    assert search(api_client, "ktl-20") == ["Tea Kettle"]
    assert search(api_client, "mug-travel-1") == ["Travel Mug"]
    assert search(api_client, "KTL-9") == []


def test_the_product_of_an_exact_sku_comes_first(api_client):
    make_product("Cable 10", variants=[variant(sku="CABLE-10")])
    make_product("Cable 100", variants=[variant(sku="CABLE-100")])
    make_product("Cable 1000", variants=[variant(sku="CABLE-1000")])

    found = search(api_client, "cable-100")

    assert found[:2] == ["Cable 100", "Cable 1000"]  # the exact SKU, then the SKU it prefixes


def test_a_sku_of_an_inactive_variant_finds_nothing(api_client):
    make_product("Desk Light", variants=[variant(sku="DL-ON"), variant(sku="DL-OFF", active=False)])

    assert search(api_client, "DL-ON") == ["Desk Light"]
    assert search(api_client, "DL-OFF") == []


def test_a_typo_finds_the_demo_headphones(api_client, demo_catalog):
    found = search(api_client, "hedphones")

    assert len(found) == 7
    assert all(name.startswith("Studio Headphones") for name in found)


@pytest.mark.parametrize(
    "typed,expected", [("keetle", "Pour-over Kettle"), ("jaket", "Trail Jacket"), ("knfe", "Chef Knife")]
)
def test_one_letter_slips_are_forgiven(api_client, demo_catalog, typed, expected):
    found = search(api_client, typed)

    assert found and found[0].startswith(expected)


def test_a_neighbour_that_only_shares_letters_is_not_a_typo(api_client):
    for name in ("Copper Kettle", "Copper Bottle", "Waterproof Jacket", "Smart Watch"):
        make_product(name)

    assert search(api_client, "kettle") == ["Copper Kettle"]  # word similarity to "Bottle": 0.43
    assert search(api_client, "watch") == ["Smart Watch"]  # to "Waterproof": 0.5
    assert search(api_client, "keetle") == ["Copper Kettle"]


def test_the_start_of_a_word_finds_the_product(api_client, demo_catalog):
    assert {name.rsplit(" ", 1)[0] for name in search(api_client, "headph")} == {"Studio Headphones"}


def test_exact_words_rank_above_typo_matches(api_client):
    make_product("Studio Headphones")
    make_product("Studio Headphone Stand", description="Holds studio headphones.")

    assert search(api_client, "headphones")[0] == "Studio Headphones"


def test_web_syntax_is_taken_literally_without_typo_matches(api_client, products):
    assert search(api_client, "cofee") == ["Coffee Grinder", "Coffee Beans"]
    assert search(api_client, '"cofee"') == []


def test_equally_relevant_products_list_the_most_bought_first(api_client):
    make_product("Desk Lamp Classic", variants=[variant(sku="DL-1")])
    make_product("Desk Lamp Modern", variants=[variant(sku="DL-2")])
    services.record_order([("DL-2", 1)])

    assert search(api_client, "lamp") == ["Desk Lamp Modern", "Desk Lamp Classic"]


def test_explicit_ordering_overrides_the_ranking(api_client, products):
    assert search(api_client, "coffee", ordering="name") == ["Coffee Beans", "Coffee Grinder", "Travel Mug"]


def test_the_vector_follows_edits(api_client, products):
    services.update_product(products[2], name="Herbal Infuser")

    assert search(api_client, "infuser") == ["Herbal Infuser"]
    assert search(api_client, "kettle") == []


def test_search_combines_with_filters(api_client, products):
    services.retire_product(products[1])

    assert search(api_client, "coffee") == ["Coffee Beans", "Travel Mug"]


@pytest.mark.django_db(transaction=True)
def test_the_typo_threshold_is_set_for_the_search_transaction_only():
    """The session sets pg_trgm's threshold locally; the connection keeps PostgreSQL's default."""
    from flowmart.catalog import selectors

    with connection.cursor() as cursor:
        cursor.execute("SELECT word_similarity('a', 'a')")  # loads pg_trgm, and its settings, in this session
    with selectors.search_session("cofee"), connection.cursor() as cursor:
        cursor.execute("SHOW pg_trgm.word_similarity_threshold")
        assert float(cursor.fetchone()[0]) == WORD_SIMILARITY_THRESHOLD
    with connection.cursor() as cursor:
        cursor.execute("SHOW pg_trgm.word_similarity_threshold")
        assert float(cursor.fetchone()[0]) == 0.6


def test_every_search_branch_has_its_index():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('product_search_idx', 'product_name_trgm_idx', 'variant_sku_upper_idx')"
        )
        definitions = dict(cursor.fetchall())

    assert "USING gin (search_vector)" in definitions["product_search_idx"]
    assert "USING gin (name gin_trgm_ops)" in definitions["product_name_trgm_idx"]
    assert "upper((sku)::text) text_pattern_ops" in definitions["variant_sku_upper_idx"]


def test_the_sku_branch_uses_its_index(products):
    """`UPPER(sku) LIKE 'Q%'`, as the ORM writes it, is answered from the pattern index."""
    from flowmart.catalog.models import Variant

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would otherwise be scanned
        plan = Variant.objects.filter(sku__istartswith="KTL").explain()

    assert "variant_sku_upper_idx" in plan


def test_without_postgresql_search_falls_back_to_substrings_skus_and_near_words(api_client, products, settings):
    settings.IS_POSTGRES = False  # the embedded default (SQLite) has no full-text search

    assert set(search(api_client, "grind")) == {"Coffee Grinder"}
    assert set(search(api_client, "HOT ON")) == {"Travel Mug"}
    assert search(api_client, "ktl-2") == ["Tea Kettle"]
    assert search(api_client, "grindr") == ["Coffee Grinder"]
    assert set(search(api_client, "coffee -beans")) == {"Travel Mug", "Coffee Grinder"}
    assert search(api_client, "coffee")[0] in {"Coffee Grinder", "Coffee Beans"}  # a name match before a description
    assert search(api_client, "coffee")[-1] == "Travel Mug"
