"""Vouchers in the admin: operations define any voucher (codes normalised and unique),
a seller's staff only their own sellers'; every save reaches orders (VoucherDefined)."""

import pytest
from django.db import transaction
from django.test import Client

from flowmart.common import roles
from flowmart.contracts.catalog import SellerStaffChanged
from flowmart.events import publish
from flowmart.orders.models import RedeemableVoucher
from flowmart.promotions.models import Voucher

from .voucher_fixtures import *  # noqa: F403 - the fixtures

pytestmark = pytest.mark.django_db

INLINE = {"uses-TOTAL_FORMS": "0", "uses-INITIAL_FORMS": "0", "uses-MIN_NUM_FORMS": "0", "uses-MAX_NUM_FORMS": "1000"}


def form(**fields) -> dict:
    data = {"kind": "percentage", "percent": "10", "currency": "USD", "active": "on", **INLINE}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def admin_of(make_staff, django_capture_on_commit_callbacks):
    """admin_of(role, sellers=()) → a logged-in Django test client of such a staff user."""

    def make(role, sellers=()):
        user = make_staff(role=role, is_staff=True).user
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            publish(SellerStaffChanged(user_id=user.pk, seller_ids=tuple(sellers)))
        client = Client()
        client.force_login(user)
        return client

    return make


def test_operations_define_a_voucher_and_orders_hears_of_it(admin_of, django_capture_on_commit_callbacks):
    ops = admin_of(roles.OPERATIONS)
    with django_capture_on_commit_callbacks(execute=True):
        response = ops.post("/admin/promotions/voucher/add/", form(code=" spring  sale ", product_ids="3, 1"))
    assert response.status_code == 302, response.content.decode()[:2000]
    voucher = Voucher.objects.get()
    assert voucher.code == "SPRINGSALE" and voucher.product_ids == [1, 3]
    copy = RedeemableVoucher.objects.get(pk=voucher.pk)
    assert copy.code == "SPRINGSALE" and copy.product_ids == [1, 3] and copy.percent == 10

    again = ops.post("/admin/promotions/voucher/add/", form(code="Spring Sale"))
    assert again.status_code == 200 and "exists already" in again.content.decode()
    assert Voucher.objects.count() == 1
    assert ops.get("/admin/promotions/voucher/").status_code == 200


def test_seller_staff_see_and_define_only_their_own_sellers_vouchers(admin_of, define):
    mine = define("MINE", owner_seller_id=1)
    theirs = define("THEIRS", owner_seller_id=2)
    define("PLATFORM")
    seller = admin_of(roles.SELLER_STAFF, sellers=(1,))
    page = seller.get("/admin/promotions/voucher/").content.decode()
    assert "MINE" in page and "THEIRS" not in page and "PLATFORM" not in page
    assert seller.get(f"/admin/promotions/voucher/{mine.pk}/change/").status_code == 200
    assert seller.get(f"/admin/promotions/voucher/{theirs.pk}/change/").status_code == 404

    refused = seller.post("/admin/promotions/voucher/add/", form(code="STEAL", owner_seller_id="2"))
    assert refused.status_code == 200 and not Voucher.objects.filter(code="STEAL").exists()
    assert seller.post("/admin/promotions/voucher/add/", form(code="OWN")).status_code == 302
    assert Voucher.objects.get(code="OWN").owner_seller_id == 1  # their one seller, filled in
