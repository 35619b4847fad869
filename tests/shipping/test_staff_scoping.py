"""Shipping's side of seller scoping: the checks that must hold inside the services too,
and the SKU index of returns (the per-role API answers are in tests/test_staff_endpoints.py)."""

import importlib

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from flowmart.common import roles
from flowmart.common.errors import Forbidden
from flowmart.shipping import selectors, services
from flowmart.shipping.models import ReturnSku, SellerSku, SellerStaff, Shipment
from tests.shipping.conftest import deliver, inventory_adjusted, order_confirmed, payment_processed, return_requested

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller_scope(make_staff):
    staff = make_staff(roles.SELLER_STAFF)
    now = timezone.now()
    SellerSku.apply(1, ["SKU-A"], now)
    SellerSku.apply(2, ["SKU-B"], now)
    with transaction.atomic():
        SellerStaff.apply(staff.user.id, [1], now)
    return selectors.staff_scope(staff.user)


def test_dispatch_rechecks_the_lines_under_the_lock(rate_table, seller_scope):
    """The view saw a parcel of the seller's goods only; an amendment then added another
    seller's line before the seller staff's dispatch got the row lock."""
    for event in (
        order_confirmed(60, lines=(("SKU-A", 1),)),
        inventory_adjusted(60, [("SKU-A", 1, "US-EAST", "US")]),
        payment_processed(60),
    ):
        deliver(event)
    shipment = Shipment.objects.get(order_id=60)
    assert seller_scope.owns_all(selectors.shipment_skus(shipment.pk))
    deliver(inventory_adjusted(60, [("SKU-B", 1, "US-EAST", "US")], amendment_id="amend-1"))

    with pytest.raises(Forbidden):
        services.dispatch_shipment(shipment.pk, acting_for=seller_scope)

    shipment.refresh_from_db()
    assert shipment.status == "created"
    assert services.dispatch_shipment(shipment.pk).status == "dispatched"  # operations may


def test_returns_index_their_skus_and_the_migration_indexes_old_ones(rate_table):
    for event in (
        order_confirmed(61),
        inventory_adjusted(61, [("SKU-A", 2, "US-EAST", "US"), ("SKU-B", 1, "US-EAST", "US")]),
        payment_processed(61),
    ):
        deliver(event)
    services.dispatch_shipment(Shipment.objects.get(order_id=61).pk)
    request = return_requested(61, [("SKU-A", 1), ("SKU-B", 1), ("SKU-A", 1)])
    deliver(request)
    assert sorted(ReturnSku.objects.values_list("sku", flat=True)) == ["SKU-A", "SKU-B"]

    ReturnSku.objects.all().delete()  # as before the migration
    importlib.import_module("flowmart.shipping.migrations.0002_seller_scoping").index_return_skus(apps, None)

    assert sorted(ReturnSku.objects.values_list("ret__return_id", "sku")) == [
        (request.return_id, "SKU-A"),
        (request.return_id, "SKU-B"),
    ]
