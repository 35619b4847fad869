"""Orders' projections follow their events, and late (older) copies never win."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from flowmart.common.money import Money
from flowmart.contracts.catalog import ProductPublished, VariantPriceChanged, VariantSnapshot
from flowmart.contracts.inventory import OutOfStock
from flowmart.orders.models import SellableVariant, ShippingRateTable, SkuAvailability

from .conftest import rate_table

pytestmark = pytest.mark.django_db


def product(product_id, variants, at=None):
    snapshots = tuple(
        VariantSnapshot(sku=sku, name=sku, price=Money(price, "USD"), weight_grams=100, attributes={}, active=True)
        for sku, price in variants
    )
    extra = {"occurred_at": at} if at else {}
    return ProductPublished(
        product_id=product_id,
        product_name="P",
        slug="p",
        seller_id=3,
        seller_slug="s",
        seller_name="S",
        category_slug="c",
        variants=snapshots,
        **extra,
    )


def test_product_published_is_an_upsert_and_dropped_variants_stop_selling(emit):
    emit(product(1, [("A", "1.00"), ("B", "2.00")]))
    emit(product(1, [("A", "1.50")]))
    assert SellableVariant.objects.get(sku="A").price_amount == Decimal("1.50")
    assert SellableVariant.objects.get(sku="B").active is False


def test_a_late_older_copy_does_not_roll_a_price_back(emit):
    now = timezone.now()
    emit(product(1, [("A", "1.00")], at=now - timedelta(minutes=5)))
    emit(VariantPriceChanged(product_id=1, sku="A", old_price=Money("1", "USD"), new_price=Money("3", "USD")))
    emit(product(1, [("A", "1.00")], at=now - timedelta(minutes=1)))  # published before the change, arrives after
    assert SellableVariant.objects.get(sku="A").price_amount == Decimal("3.00")


def test_stock_levels_keep_the_newest(stock, emit):
    stock(A=5)
    emit(OutOfStock(order_id=None, amendment_id=None, skus=("A",)))
    assert SkuAvailability.objects.get(sku="A").available == 0
    late = OutOfStock(order_id=None, amendment_id=None, skus=("A",), occurred_at=timezone.now() - timedelta(hours=1))
    stock(A=7)
    emit(late)
    assert SkuAvailability.objects.get(sku="A").available == 7


def test_older_rate_revisions_are_ignored(emit):
    emit(rate_table(revision=2, standard_us="6.00"))
    emit(rate_table(revision=1, standard_us="1.00"))
    assert ShippingRateTable.objects.get().revision == 2
    emit(rate_table(revision=3, standard_us="7.00"))
    us = [r for r in ShippingRateTable.objects.get().methods[0]["rates"] if r["country"] == "US"]
    assert us[0]["price"] == {"amount": "7.00", "currency": "USD"}


def test_shipping_methods_are_priced_for_the_callers_cart(customer, shop, fill_cart):
    assert [m["code"] for m in customer.get("/api/v1/shipping/methods/?country=US").json()] == ["standard", "express"]
    fill_cart(customer, {"LAMP-1": 2})  # 3000 g: past the 2000 g band
    methods = customer.get("/api/v1/shipping/methods/?country=us").json()
    assert methods == [
        {"code": "standard", "name": "Standard", "carrier": "postal", "price": {"amount": "9.00", "currency": "USD"},
         "estimated_days": 5},
        {"code": "express", "name": "Express", "carrier": "courier", "price": {"amount": "20.00", "currency": "USD"},
         "estimated_days": 2},
    ]  # fmt: skip
    rest = customer.get("/api/v1/shipping/methods/?country=JP").json()
    assert [(m["code"], m["price"]["amount"]) for m in rest] == [("standard", "25.00")]  # "*" rows; no express


@pytest.mark.parametrize("query", ["", "?country=", "?country=XX", "?country=USA"])
def test_shipping_methods_need_a_valid_country(customer, shop, query):
    response = customer.get(f"/api/v1/shipping/methods/{query}")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
