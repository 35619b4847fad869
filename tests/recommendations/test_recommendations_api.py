"""Frequently bought together and trending, through the public API, kept from order events."""

from datetime import timedelta

import pytest
from django.utils import timezone

from flowmart.catalog import services as catalog
from flowmart.recommendations.models import CoPurchase
from tests.support.shop_events import confirmed, status, stocked

pytestmark = pytest.mark.django_db


def together(api_client, item, **params):
    response = api_client.get(f"/api/v1/products/{item.id}/recommendations/", params)
    assert response.status_code == 200, response.json()
    return response.json()


def trending(api_client, **params):
    response = api_client.get("/api/v1/products/trending/", params)
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


def test_bought_together_after_two_paid_orders(product, order, api_client):
    kettle, mug, tea, toaster = (product(n) for n in ("Kettle", "Mug", "Tea", "Toaster"))
    order(1, {kettle.sku: 1, mug.sku: 2}, upto="paid")
    order(2, {kettle.sku: 1, mug.sku: 1, tea.sku: 1}, upto="paid")
    order(3, {kettle.sku: 1, toaster.sku: 1}, upto="pending")  # never paid: not counted

    body = together(api_client, kettle)

    assert body["count"] == 2 and body["next"] is None
    assert body["results"] == [
        {"id": mug.id, "name": "Mug", "slug": mug.slug, "price": {"amount": "10.00", "currency": "USD"}, "score": 2},
        {"id": tea.id, "name": "Tea", "slug": tea.slug, "price": {"amount": "10.00", "currency": "USD"}, "score": 1},
    ]
    assert [r["name"] for r in together(api_client, tea)["results"]] == ["Kettle", "Mug"]
    assert [r["name"] for r in together(api_client, kettle, limit=1)["results"]] == ["Mug"]


def test_an_order_counts_once_whatever_the_events(product, emit, api_client):
    """Paid twice (dispute hold released), paid before confirmed, redelivered: counted once."""
    kettle, mug = product("Kettle"), product("Mug")
    emit(status(9001, 1, "paid", "pending"))
    emit(confirmed(9001, 1, {kettle.sku: 1, mug.sku: 1}))
    emit(status(9001, 1, "on_hold", "paid"))
    emit(status(9001, 1, "paid", "on_hold"))

    assert together(api_client, kettle)["results"][0]["score"] == 1
    assert CoPurchase.objects.count() == 2  # both directions


def test_unavailable_products_are_left_out(product, order, emit, api_client):
    kettle, mug, tea, cup = (product(n) for n in ("Kettle", "Mug", "Tea", "Cup"))
    order(1, {kettle.sku: 1, mug.sku: 1, tea.sku: 1, cup.sku: 1}, upto="paid")

    emit(stocked(**{mug.sku: 0}))  # sold out
    emit(lambda: catalog.retire_product(tea))  # ProductRetired

    assert [r["name"] for r in together(api_client, kettle)["results"]] == ["Cup"]
    assert set(trending(api_client)) == {"Kettle", "Cup"}
    emit(stocked(**{mug.sku: 3}))  # back in stock
    assert [r["name"] for r in together(api_client, kettle)["results"]] == ["Mug", "Cup"]  # ties: by product id


def test_trending_decays_older_orders(product, order, api_client, settings):
    """Three units a week ago weigh less than one today at a one-day half-life (3/2^7 < 1)."""
    settings.RECOMMENDATIONS_TRENDING_HALF_LIFE_HOURS = 24
    kettle, mug, tea = product("Kettle"), product("Mug"), product("Tea")
    week_ago = timezone.now() - timedelta(days=7)
    order(1, {kettle.sku: 3}, upto="paid", occurred_at=week_ago)
    order(2, {mug.sku: 1}, upto="paid")
    order(3, {tea.sku: 1}, upto="paid")
    order(4, {tea.sku: 1}, upto="paid")

    assert trending(api_client) == ["Tea", "Mug", "Kettle"]
    scores = {row["name"]: row["score"] for row in api_client.get("/api/v1/products/trending/").json()["results"]}
    assert scores["Tea"] == pytest.approx(2, rel=1e-3) and scores["Kettle"] == pytest.approx(3 / 128, rel=1e-2)
    assert trending(api_client, limit=2) == ["Tea", "Mug"]


def test_the_product_cap_bounds_an_orders_pairs(product, order, settings):
    settings.RECOMMENDATIONS_MAX_PRODUCTS_PER_ORDER = 3
    items = [product(f"P{i}") for i in range(6)]
    order(1, {item.sku: i + 1 for i, item in enumerate(items)}, upto="paid")  # the 3 with the most units count

    counted = set(CoPurchase.objects.values_list("product_id", flat=True))
    assert counted == {items[5].id, items[4].id, items[3].id} and CoPurchase.objects.count() == 6


def test_bad_limit_and_unknown_product(api_client):
    assert api_client.get("/api/v1/products/trending/", {"limit": 0}).status_code == 400
    assert api_client.get("/api/v1/products/424242/recommendations/").status_code == 404


def test_an_order_long_after_the_last_one_adds_without_underflow(product, order, api_client, settings):
    """A year at a one-hour half-life is e^-6000 apart: the log-sum-exp must not overflow or underflow."""
    settings.RECOMMENDATIONS_TRENDING_HALF_LIFE_HOURS = 1
    kettle = product("Kettle")
    order(1, {kettle.sku: 1}, upto="paid", occurred_at=timezone.now() - timedelta(days=365))
    order(2, {kettle.sku: 1}, upto="paid")

    rows = api_client.get("/api/v1/products/trending/").json()["results"]
    assert [(r["name"], r["score"]) for r in rows] == [("Kettle", pytest.approx(1, rel=1e-3))]
