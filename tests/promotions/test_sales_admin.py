"""The sales and deals back office: operations see every sale and deal; a seller's staff see,
add and change only their own sellers' (another seller's answers 404), on their own products."""

import uuid

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from flowmart.catalog import services as catalog
from flowmart.common import roles
from flowmart.customers import services as customers
from flowmart.promotions.models import LightningDeal, Sale
from tests.support.roles import install_roles

from .conftest import make_deal, make_sale, product, window


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def seller_staff_of(seller):
    install_roles()
    user = get_user_model().objects.create_user(
        email=f"staff-{uuid.uuid4().hex[:6]}@seller.test", password="x-Pass-123"
    )
    customers.grant_role(user, roles.SELLER_STAFF)
    catalog.add_seller_member(seller, user.id)  # SellerStaffChanged → promotions' copy
    return logged_in(user)


def operations():
    user = get_user_model().objects.create_superuser(email=f"ops-{uuid.uuid4().hex[:6]}@flowmart.test", password="x")
    return logged_in(user)


def form(sale_name, seller_id, product_ids, percent="30", **times):
    starts_at, ends_at = (timezone.localtime(t) for t in window(**times))
    return {
        "name": sale_name,
        "seller_id": seller_id,
        "percent_off": percent,
        "amount_off": "",
        "currency": "",
        "starts_at_0": starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": starts_at.strftime("%H:%M:%S"),
        "ends_at_0": ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": ends_at.strftime("%H:%M:%S"),
        "enabled": "on",
        "products": product_ids,
    }


def test_seller_staff_see_and_change_only_their_own_sales_and_deals(shop):
    own = make_sale(name="A spring sale", percent="10", seller_id=shop.seller_a.pk)
    other = make_sale(name="B lamp sale", percent="10", seller_id=shop.seller_b.pk)
    own_deal, other_deal = make_deal("MUG-RED", units=5), make_deal("LAMP-1", units=5)
    staff_a = seller_staff_of(shop.seller_a)

    page = staff_a.get("/admin/promotions/sale/").content.decode()
    assert "A spring sale" in page and "B lamp sale" not in page
    assert staff_a.get(f"/admin/promotions/sale/{own.pk}/change/").status_code == 200
    assert staff_a.get(f"/admin/promotions/sale/{other.pk}/change/").status_code == 404
    assert staff_a.get(f"/admin/promotions/lightningdeal/{own_deal.pk}/change/").status_code == 200
    assert staff_a.get(f"/admin/promotions/lightningdeal/{other_deal.pk}/change/").status_code == 404

    ops_page = operations().get("/admin/promotions/sale/").content.decode()
    assert "A spring sale" in ops_page and "B lamp sale" in ops_page


def test_seller_staff_add_a_sale_on_their_products_and_shoppers_see_it(shop):
    staff_a = seller_staff_of(shop.seller_a)
    refused = staff_a.post("/admin/promotions/sale/add/", form("Sneaky", shop.seller_b.pk, [shop.lamp.pk]))
    assert refused.status_code == 200 and not Sale.objects.exists()  # neither seller B nor their lamp is offered

    added = staff_a.post("/admin/promotions/sale/add/", form("Mug days", shop.seller_a.pk, [shop.mug.pk]))
    assert added.status_code == 302, added.content.decode()[:2000]
    sale = Sale.objects.get()
    assert (sale.seller_id, list(sale.products.values_list("pk", flat=True))) == (shop.seller_a.pk, [shop.mug.pk])
    red = next(v for v in product(shop.mug.pk)["variants"] if v["sku"] == "MUG-RED")
    assert (red["price"]["amount"], red["original_price"]["amount"]) == ("14.00", "20.00")


def test_operations_withdraw_a_deal_and_the_catalogue_drops_it(shop):
    deal = make_deal("MUG-RED", price="9.00", units=5)
    ops = operations()
    starts_at, ends_at = (timezone.localtime(t) for t in (deal.starts_at, deal.ends_at))
    response = ops.post(
        f"/admin/promotions/lightningdeal/{deal.pk}/change/",
        {
            "sku": "MUG-RED",
            "price_amount": "9.00",
            "units": "5",
            "starts_at_0": starts_at.strftime("%Y-%m-%d"),
            "starts_at_1": starts_at.strftime("%H:%M:%S"),
            "ends_at_0": ends_at.strftime("%Y-%m-%d"),
            "ends_at_1": ends_at.strftime("%H:%M:%S"),
        },  # `enabled` unticked
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert LightningDeal.objects.get().enabled is False
    red = next(v for v in product(shop.mug.pk)["variants"] if v["sku"] == "MUG-RED")
    assert (red["price"]["amount"], red["deal"]) == ("20.00", None)
