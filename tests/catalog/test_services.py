"""Catalogue writes publish what orders and subscriptions need, in the same transaction."""

from decimal import Decimal

import pytest
from django.db import transaction

from flowmart.catalog import services
from flowmart.catalog.models import Product
from flowmart.common.money import Money
from flowmart.events.models import OutboxEvent

from .factories import CategoryFactory, SellerFactory, make_product, variant

pytestmark = pytest.mark.django_db


def events(name, after=0):
    return [row.to_event() for row in OutboxEvent.objects.filter(name=name, id__gt=after)]


def mark():
    """The outbox position now: events() after it are what the next step published."""
    return OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_creating_a_product_publishes_it_whole():
    seller = SellerFactory(slug="northwind", name="Northwind")
    category = CategoryFactory(slug="outdoor")
    product = make_product(
        "Trail Jacket",
        seller=seller,
        category=category,
        variants=[
            variant("129.00", sku="TJ-S", name="S", attributes={"size": "S"}, weight_grams=900),
            variant("139.00", sku="TJ-L", name="L", active=False),
        ],
    )

    [published] = events("ProductPublished")
    assert published.name == "ProductPublished"  # routed under its own name, not the product's
    assert published.product_id == product.id
    assert published.product_name == "Trail Jacket"
    assert (published.seller_id, published.seller_slug, published.seller_name) == (seller.id, "northwind", "Northwind")
    assert published.category_slug == "outdoor"
    by_sku = {v.sku: v for v in published.variants}
    assert by_sku["TJ-S"].name == "Trail Jacket — S"
    assert by_sku["TJ-S"].price == Money(Decimal("129.00"), "USD")
    assert (by_sku["TJ-S"].weight_grams, by_sku["TJ-S"].attributes) == (900, {"size": "S"})
    assert by_sku["TJ-S"].active and not by_sku["TJ-L"].active


def test_a_price_change_publishes_the_change_and_the_product():
    product = make_product(variants=[variant("10.00", sku="P-1")])
    since = mark()

    services.update_variant(product.variants.get(), price=Money(Decimal("12.50"), "USD"))

    [change] = events("VariantPriceChanged", since)
    assert (change.product_id, change.sku) == (product.id, "P-1")
    assert change.old_price == Money(Decimal("10.00"), "USD")
    assert change.new_price == Money(Decimal("12.50"), "USD")
    [published] = events("ProductPublished", since)
    assert published.variants[0].price.amount == Decimal("12.50")


def test_other_changes_republish_without_a_price_event():
    product = make_product()
    since = mark()

    services.update_product(product, name="Widget Deluxe")
    services.add_variant(product, **variant("15.00", sku="W-NEW"))

    assert not events("VariantPriceChanged", since)
    first, second = events("ProductPublished", since)
    assert first.product_name == "Widget Deluxe"
    assert {v.sku for v in second.variants} >= {"W-NEW"}


def test_retire_then_activate():
    product = make_product(prices=("10.00", "11.00"))
    since = mark()

    services.retire_product(product)
    [retired] = events("ProductRetired", since)
    assert retired.product_id == product.id
    assert set(retired.skus) == set(product.variants.values_list("sku", flat=True))

    services.update_product(product, description="still retired")
    assert not events("ProductPublished", since)  # nothing to tell while it is not sellable

    services.activate_product(product)
    [published] = events("ProductPublished", since)
    assert all(v.active for v in published.variants)


def test_a_failed_write_publishes_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        make_product("Doomed")
        raise RuntimeError("rolled back")

    assert not Product.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_an_inactive_product_is_not_published_on_creation():
    make_product(active=False)

    assert not OutboxEvent.objects.exists()


def test_sellers_publish_their_contact_email():
    seller = services.create_seller(slug="acme", name="Acme", contact_email="stock@acme.example")
    seller.contact_email = "alerts@acme.example"
    services.save_seller(seller)

    assert [(e.seller_id, e.slug, e.seller_name, e.contact_email) for e in events("SellerChanged")] == [
        (seller.pk, "acme", "Acme", "stock@acme.example"),
        (seller.pk, "acme", "Acme", "alerts@acme.example"),
    ]
