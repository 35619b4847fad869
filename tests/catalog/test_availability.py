"""`available` per SKU comes from inventory's events, never from inventory's tables."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from flowmart.catalog.handlers import update_availability
from flowmart.catalog.models import VariantAvailability
from flowmart.contracts.inventory import InventoryAdjusted, StockLevel
from flowmart.events import publish
from flowmart.events.models import Delivery

from .factories import make_product, variant


def adjusted(*levels, at=None, reason="received"):
    return InventoryAdjusted(
        reason=reason,
        order_id=None,
        amendment_id=None,
        allocations=(),
        levels=tuple(StockLevel(sku=sku, available=n) for sku, n in levels),
        **({"occurred_at": at} if at else {}),
    )


@pytest.mark.django_db(transaction=True)
def test_inventory_adjusted_updates_the_projection_and_the_api(api_client):
    product = make_product(variants=[variant(sku="AV-1"), variant(sku="AV-2")])

    with transaction.atomic():
        publish(adjusted(("AV-1", 7), ("AV-2", 0)))

    assert Delivery.objects.get(subscriber="catalog.update_availability").status == "done"
    body = api_client.get(f"/api/v1/products/{product.id}/").json()
    assert {v["sku"]: v["available"] for v in body["variants"]} == {"AV-1": 7, "AV-2": 0}


@pytest.mark.django_db
def test_levels_for_unknown_skus_are_kept_for_when_the_product_arrives(api_client):
    update_availability(adjusted(("LATE-1", 4)))

    product = make_product(variants=[variant(sku="LATE-1")])

    body = api_client.get(f"/api/v1/products/{product.id}/").json()
    assert body["variants"][0]["available"] == 4


@pytest.mark.django_db
def test_an_older_report_arriving_late_does_not_win():
    now = timezone.now()
    update_availability(adjusted(("OOO-1", 3), at=now))
    update_availability(adjusted(("OOO-1", 9), at=now - timedelta(seconds=5)))

    assert VariantAvailability.objects.get(sku="OOO-1").available == 3

    update_availability(adjusted(("OOO-1", 1), at=now + timedelta(seconds=5)))
    assert VariantAvailability.objects.get(sku="OOO-1").available == 1


@pytest.mark.django_db
def test_a_variant_without_any_report_shows_zero(api_client):
    product = make_product()

    body = api_client.get(f"/api/v1/products/{product.id}/").json()

    assert body["variants"][0]["available"] == 0
