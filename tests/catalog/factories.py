"""Catalogue test data, built through the services so the events are real."""

from decimal import Decimal
from itertools import count

import factory

from flowmart.catalog import services
from flowmart.catalog.models import Category, Product, Seller
from flowmart.common.money import Money

_sku = count(1)


class SellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Seller
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"seller-{n}")
    name = factory.LazyAttribute(lambda s: s.slug.title())


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda c: c.slug.title())
    parent = None


def variant(price="10.00", sku=None, name="Standard", **fields) -> dict:
    return {
        "sku": sku or f"SKU-{next(_sku):05d}",
        "name": name,
        "price": Money(Decimal(price), fields.pop("currency", "USD")),
        "weight_grams": fields.pop("weight_grams", 500),
        "attributes": fields.pop("attributes", {}),
        **fields,
    }


def make_product(name="Widget", *, seller=None, category=None, prices=("10.00",), description="", **fields):
    """A product with one variant per price (or the given `variants` dicts)."""
    variants = fields.pop("variants", None) or [variant(price) for price in prices]
    slug = fields.pop("slug", None) or f"{name.lower().replace(' ', '-')}-{next(_sku)}"
    created_at = fields.pop("created_at", None)
    product = services.create_product(
        seller=seller or SellerFactory(),
        category=category or CategoryFactory(),
        name=name,
        slug=slug,
        description=description,
        variants=variants,
        **fields,
    )
    if created_at is not None:  # back-date it, for ordering tests
        Product.objects.filter(pk=product.pk).update(created_at=created_at)
        product.created_at = created_at
    return product
