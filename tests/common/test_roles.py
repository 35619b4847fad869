"""The shared staff vocabulary (flowmart.common.roles, .permissions) and the per-context
projections built on it: who counts as which role, and seller memberships and SKU
owners kept from events that may arrive late, twice or out of order."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from flowmart.common import roles
from flowmart.common.money import Money
from flowmart.contracts.catalog import ProductPublished, SellerStaffChanged, VariantSnapshot
from flowmart.customers.services import grant_role
from flowmart.events import publish, relay
from flowmart.events.models import Delivery
from flowmart.inventory import models as inventory
from flowmart.shipping import models as shipping

pytestmark = pytest.mark.django_db

PROJECTIONS = [
    pytest.param(inventory.SellerStaff, inventory.SellerSku, id="inventory"),
    pytest.param(shipping.SellerStaff, shipping.SellerSku, id="shipping"),
]


def user(email="u@x.test", **extra):
    return get_user_model().objects.create_user(email=email, password="x", **extra)


def test_roles_come_from_groups_and_superusers_count_as_operations():
    customer, flag = user("c@x.test"), user("flag@x.test", is_staff=True)
    ops = grant_role(user("ops@x.test"), roles.OPERATIONS)
    seller = grant_role(user("seller@x.test"), roles.SELLER_STAFF)
    both = grant_role(grant_role(user("both@x.test"), roles.SELLER_STAFF), roles.OPERATIONS)
    root = get_user_model().objects.create_superuser(email="root@x.test", password="x")

    assert [roles.is_operations(u) for u in (customer, flag, ops, seller, both, root)] == [0, 0, 1, 0, 1, 1]
    assert [roles.is_seller_staff(u) for u in (customer, flag, ops, seller, both, root)] == [0, 0, 0, 1, 0, 0]
    assert not roles.is_staff_member(AnonymousUser())
    assert ops.is_staff and seller.is_staff  # the role brings the admin login
    get_user_model().objects.filter(pk=ops.pk).update(is_active=False)
    assert not roles.is_operations(get_user_model().objects.get(pk=ops.pk))


@pytest.mark.parametrize(("staff_model", "sku_model"), PROJECTIONS)
def test_a_late_older_membership_never_undoes_a_newer_one(staff_model, sku_model):
    now = timezone.now()
    with transaction.atomic():
        assert staff_model.apply(7, [1, 2], now)
        assert staff_model.apply(7, [], now + timedelta(seconds=1))  # revoked
        assert not staff_model.apply(7, [1, 2], now)  # the grant, delivered late
        assert not staff_model.apply(7, [3], now + timedelta(seconds=1))  # same time: a duplicate

    assert staff_model.objects.filter(user_id=7).count() == 1  # the empty marker holding the time
    assert staff_model.seller_ids_of(SimpleNamespace(pk=7)) == []
    with transaction.atomic():
        assert staff_model.apply(7, [2, 2, 4], now + timedelta(seconds=2))
    assert sorted(staff_model.seller_ids_of(SimpleNamespace(pk=7))) == [2, 4]


@pytest.mark.parametrize(("staff_model", "sku_model"), PROJECTIONS)
def test_sku_owners_follow_the_newest_publication(staff_model, sku_model):
    now = timezone.now()
    sku_model.apply(1, ["A", "B"], now)
    sku_model.apply(2, ["B", "C"], now + timedelta(seconds=1))  # B moved to seller 2
    sku_model.apply(1, ["A", "B"], now - timedelta(seconds=1))  # a late, older copy

    assert dict(sku_model.objects.values_list("sku", "seller_id")) == {"A": 1, "B": 2, "C": 2}


@pytest.mark.parametrize(("staff_model", "sku_model"), PROJECTIONS)
def test_staff_scope_is_the_skus_of_the_users_sellers(staff_model, sku_model):
    seller = grant_role(user("s@x.test"), roles.SELLER_STAFF)
    ops = grant_role(user("o@x.test"), roles.OPERATIONS)
    now = timezone.now()
    sku_model.apply(1, ["A1", "A2"], now)
    sku_model.apply(2, ["B1"], now)
    with transaction.atomic():
        staff_model.apply(seller.pk, [1], now)
        staff_model.apply(user("member-only@x.test").pk, [1, 2], now)  # no role: nothing

    scope = roles.StaffScope(seller, staff_model, sku_model)
    assert set(scope.skus().values_list("sku", flat=True)) == {"A1", "A2"}
    assert scope.owned(["A1", "B1", "ZZ"]) == {"A1"}
    assert scope.owns_all(["A1", "A2"]) and not scope.owns_all(["A1", "B1"]) and not scope.owns_all([])
    everything = roles.StaffScope(ops, staff_model, sku_model)
    assert everything.everything and everything.owned(["B1", "ZZ"]) == {"B1", "ZZ"} and everything.owns_all([])
    nobody = roles.StaffScope(get_user_model().objects.get(email="member-only@x.test"), staff_model, sku_model)
    assert not nobody.skus().exists() and nobody.owned(["A1"]) == set()


def test_inventory_and_shipping_keep_both_projections_through_the_dispatcher():
    """Published as catalog publishes them; each context's subscriber fills its own table,
    and a SellerStaffChanged that arrives after a newer one changes nothing."""
    newer = SellerStaffChanged(user_id=5, seller_ids=())
    older = SellerStaffChanged(user_id=5, seller_ids=(9,), occurred_at=newer.occurred_at - timedelta(seconds=5))
    product = ProductPublished(
        product_id=1,
        product_name="Kettle",
        slug="kettle",
        seller_id=9,
        seller_slug="k",
        seller_name="K",
        category_slug="c",
        variants=(
            VariantSnapshot(
                sku="K-1", name="Kettle", price=Money(Decimal("30"), "USD"), weight_grams=1, attributes={}, active=True
            ),
        ),
    )
    with transaction.atomic():
        publish(newer, product)
    with transaction.atomic():
        publish(older)
    for delivery in Delivery.objects.filter(subscriber__regex=r"^(inventory|shipping)\.").order_by("pk"):
        assert relay.deliver(delivery.pk) == "done"

    for staff_model, sku_model in (
        (inventory.SellerStaff, inventory.SellerSku),
        (shipping.SellerStaff, shipping.SellerSku),
    ):
        assert list(staff_model.objects.values_list("user_id", "seller_id")) == [(5, None)]
        assert list(sku_model.objects.values_list("sku", "seller_id")) == [("K-1", 9)]
