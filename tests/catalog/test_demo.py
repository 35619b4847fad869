"""The demo catalogue: everything in flowmart/common/demo.py, loaded once, published once."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from flowmart.catalog.models import Category, Product, Seller, SellerMember, Variant
from flowmart.common import demo
from flowmart.events.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_demo_catalog_loads_the_whole_demo_shop_idempotently():
    call_command("demo_customers", stdout=StringIO())
    call_command("demo_catalog", stdout=StringIO())
    published = OutboxEvent.objects.filter(name="ProductPublished").count()

    call_command("demo_catalog", stdout=StringIO())

    assert (Seller.objects.count(), Category.objects.count()) == (3, 6)
    assert (Product.objects.count(), Variant.objects.count()) == (56, 126)
    assert published == 56
    assert OutboxEvent.objects.filter(name="ProductPublished").count() == 56
    assert set(Variant.objects.values_list("sku", flat=True)) == {
        v["sku"] for p in demo.products() for v in p["variants"]
    }
    assert Category.objects.get(slug="headphones").parent.slug == "audio"
    for seller in demo.SELLERS:
        staff = get_user_model().objects.get(email=f"{seller['slug']}@flowmart.local")
        assert SellerMember.objects.filter(seller__slug=seller["slug"], user_id=staff.id).count() == 1
    assert SellerMember.objects.count() == 3
