"""Admin: seller staff see and edit only their own products; every save publishes."""

import json

import pytest
from django.contrib.auth import get_user_model

from flowmart.catalog import services
from flowmart.catalog.models import Product, SellerMember
from flowmart.common import roles
from flowmart.customers.services import grant_role
from flowmart.events.models import OutboxEvent
from tests.support.roles import install_roles

from .factories import CategoryFactory, SellerFactory, make_product, variant

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/catalog/product/"


@pytest.fixture
def sellers():
    install_roles()  # the groups with their admin permissions, as the migration makes them
    north, acme = SellerFactory(slug="northwind"), SellerFactory(slug="acme")
    category = CategoryFactory(slug="gear")
    own = make_product("Northwind Tent", seller=north, category=category, variants=[variant("100.00", sku="TENT-1")])
    other = make_product("Acme Speaker", seller=acme, category=category, variants=[variant("50.00", sku="SPK-1")])
    return {"north": north, "acme": acme, "category": category, "own": own, "other": other}


def staff_of(seller, email="staff@northwind.test", role=roles.SELLER_STAFF):
    user = get_user_model().objects.create_user(email=email, password="x")
    if role:
        grant_role(user, role)
    services.add_seller_member(seller, user.id)
    return user


def product_form(product, **changes):
    """The admin change form as the browser posts it, with the variant inline."""
    data = {
        "seller": product.seller_id,
        "category": product.category_id,
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "image_urls": json.dumps(product.image_urls),
        "tax_class": product.tax_class,
        "variants-TOTAL_FORMS": product.variants.count(),
        "variants-INITIAL_FORMS": product.variants.count(),
        "variants-MIN_NUM_FORMS": 0,
        "variants-MAX_NUM_FORMS": 1000,
    }
    if product.active:
        data["active"] = "on"
    for n, v in enumerate(product.variants.order_by("id")):
        data.update(
            {
                f"variants-{n}-id": v.id,
                f"variants-{n}-product": product.id,
                f"variants-{n}-sku": v.sku,
                f"variants-{n}-name": v.name,
                f"variants-{n}-price_amount": str(v.price_amount),
                f"variants-{n}-price_currency": v.price_currency,
                f"variants-{n}-weight_grams": v.weight_grams,
                f"variants-{n}-attributes": json.dumps(v.attributes),
                f"variants-{n}-active": "on" if v.active else "",
            }
        )
    data.update(changes)
    return data


def admin_errors(response):
    """The form and inline errors of an admin page that came back instead of redirecting."""
    return response.context["adminform"].form.errors, [
        f.formset.errors for f in response.context["inline_admin_formsets"]
    ]


def test_seller_staff_see_only_their_own_products(client, sellers):
    client.force_login(staff_of(sellers["north"]))

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    shown = list(response.context["cl"].queryset)
    assert shown == [sellers["own"]]
    variants = client.get("/admin/catalog/variant/").context["cl"].queryset
    assert [v.sku for v in variants] == ["TENT-1"]


def test_another_sellers_product_cannot_be_opened_or_changed(client, sellers):
    client.force_login(staff_of(sellers["north"]))
    other = sellers["other"]
    url = f"{CHANGELIST}{other.id}/change/"

    assert client.get(url).status_code in (302, 404)
    posted = client.post(url, product_form(other, name="Hijacked"))
    assert posted.status_code in (302, 404)
    other.refresh_from_db()
    assert other.name == "Acme Speaker"


def test_seller_staff_may_only_pick_their_own_seller(client, sellers):
    client.force_login(staff_of(sellers["north"]))

    form = client.get(f"{CHANGELIST}add/").context["adminform"].form

    assert list(form.fields["seller"].queryset) == [sellers["north"]]


def test_staff_without_membership_or_permissions_see_nothing(client, sellers):
    client.force_login(get_user_model().objects.create_user(email="temp@x.test", password="x", is_staff=True))

    assert client.get(CHANGELIST).status_code == 403


def test_a_member_without_the_seller_staff_role_sees_nothing(client, sellers):
    user = staff_of(sellers["north"], role=None)
    get_user_model().objects.filter(pk=user.pk).update(is_staff=True)  # the old flag alone
    client.force_login(user)

    assert client.get(CHANGELIST).status_code == 403


def test_seller_staff_of_no_seller_see_an_empty_list(client, sellers):
    user = get_user_model().objects.create_user(email="new@x.test", password="x")
    client.force_login(grant_role(user, roles.SELLER_STAFF))

    response = client.get(CHANGELIST)

    assert response.status_code == 200 and not response.context["cl"].queryset.exists()


def test_operations_see_every_product_even_as_a_member(client, sellers):
    client.force_login(staff_of(sellers["north"], role=roles.OPERATIONS))

    shown = set(client.get(CHANGELIST).context["cl"].queryset)

    assert shown == {sellers["own"], sellers["other"]}


def test_member_edits_on_the_seller_page_publish_each_users_sellers(client, sellers):
    client.force_login(get_user_model().objects.create_superuser(email="ops@x.test", password="x"))
    north, acme = sellers["north"], sellers["acme"]
    kept = staff_of(acme, email="kept@x.test")
    services.add_seller_member(north, kept.id)
    moved = staff_of(north, email="moved@x.test")
    newcomer = staff_of(acme, email="new@x.test")
    members = {m.user_id: m for m in SellerMember.objects.filter(seller=north)}
    since = OutboxEvent.objects.order_by("-id").first().id
    form = {
        "slug": north.slug,
        "name": north.name,
        "members-TOTAL_FORMS": 3,
        "members-INITIAL_FORMS": 2,
        "members-MIN_NUM_FORMS": 0,
        "members-MAX_NUM_FORMS": 1000,
        "members-0-id": members[kept.id].id,
        "members-0-seller": north.id,
        "members-0-user_id": kept.id,
        "members-1-id": members[moved.id].id,
        "members-1-seller": north.id,
        "members-1-user_id": moved.id,
        "members-1-DELETE": "on",
        "members-2-seller": north.id,
        "members-2-user_id": newcomer.id,
    }

    response = client.post(f"/admin/catalog/seller/{north.id}/change/", form)

    assert response.status_code == 302, admin_errors(response)
    changes = [e.to_event() for e in OutboxEvent.objects.filter(id__gt=since, name="SellerStaffChanged")]
    assert {(e.user_id, e.seller_ids) for e in changes} == {
        (moved.id, ()),
        (newcomer.id, tuple(sorted([north.id, acme.id]))),
    }  # the unchanged member is not announced again


def test_superusers_see_every_product(client, sellers):
    client.force_login(get_user_model().objects.create_superuser(email="ops@x.test", password="x"))

    shown = set(client.get(CHANGELIST).context["cl"].queryset)

    assert shown == {sellers["own"], sellers["other"]}


def test_an_admin_price_edit_publishes_like_the_services(client, sellers):
    client.force_login(staff_of(sellers["north"]))
    own = sellers["own"]
    since = OutboxEvent.objects.order_by("-id").first().id

    response = client.post(f"{CHANGELIST}{own.id}/change/", product_form(own, **{"variants-0-price_amount": "90.00"}))

    assert response.status_code == 302, admin_errors(response)
    names = list(OutboxEvent.objects.filter(id__gt=since).values_list("name", flat=True))
    assert sorted(names) == ["ProductPublished", "VariantPriceChanged"]
    change = OutboxEvent.objects.get(id__gt=since, name="VariantPriceChanged").to_event()
    assert (change.sku, str(change.old_price.amount), str(change.new_price.amount)) == ("TENT-1", "100.00", "90.00")


def test_admin_add_publishes_the_new_product(client, sellers):
    client.force_login(get_user_model().objects.create_superuser(email="ops@x.test", password="x"))
    data = {
        "seller": sellers["acme"].id,
        "category": sellers["category"].id,
        "name": "Acme Amp",
        "slug": "acme-amp",
        "description": "Loud.",
        "image_urls": "[]",
        "tax_class": "reduced",
        "active": "on",
        "variants-TOTAL_FORMS": 1,
        "variants-INITIAL_FORMS": 0,
        "variants-MIN_NUM_FORMS": 0,
        "variants-MAX_NUM_FORMS": 1000,
        "variants-0-sku": "AMP-1",
        "variants-0-name": "Black",
        "variants-0-price_amount": "300.00",
        "variants-0-price_currency": "USD",
        "variants-0-weight_grams": 3000,
        "variants-0-attributes": "{}",
        "variants-0-active": "on",
    }

    response = client.post(f"{CHANGELIST}add/", data)

    assert response.status_code == 302, admin_errors(response)
    product = Product.objects.get(slug="acme-amp")
    published = OutboxEvent.objects.filter(name="ProductPublished").last().to_event()
    assert published.product_id == product.id
    assert [v.sku for v in published.variants] == ["AMP-1"]
    assert published.tax_class == product.tax_class == "reduced"


def test_retire_action_publishes_product_retired(client, sellers):
    client.force_login(staff_of(sellers["north"]))
    own, other = sellers["own"], sellers["other"]

    client.post(CHANGELIST, {"action": "retire", "_selected_action": [own.id, other.id]})

    own.refresh_from_db()
    other.refresh_from_db()
    assert not own.active and other.active  # the other seller's product is outside the queryset
    retired = OutboxEvent.objects.get(name="ProductRetired").to_event()
    assert retired.product_id == own.id


def test_operators_admin_pages_open(client, sellers):
    client.force_login(get_user_model().objects.create_superuser(email="ops@x.test", password="x"))

    for url in (
        "/admin/catalog/seller/",
        f"/admin/catalog/seller/{sellers['north'].id}/change/",
        "/admin/catalog/category/",
        "/admin/catalog/variantavailability/",
        f"{CHANGELIST}{sellers['own'].id}/change/",
    ):
        assert client.get(url).status_code == 200, url


def test_image_urls_must_be_a_list_of_web_addresses(client, sellers):
    client.force_login(staff_of(sellers["north"]))
    own = sellers["own"]

    refused = client.post(f"{CHANGELIST}{own.id}/change/", product_form(own, image_urls='["ftp://x/a.jpg"]'))
    accepted = client.post(
        f"{CHANGELIST}{own.id}/change/", product_form(own, image_urls='["https://cdn.example.com/tent.jpg"]')
    )

    assert refused.status_code == 200 and "image_urls" in refused.context["adminform"].form.errors
    assert accepted.status_code == 302
    own.refresh_from_db()
    assert own.image_urls == ["https://cdn.example.com/tent.jpg"]


def test_products_are_retired_not_deleted_even_by_operators(client, sellers):
    client.force_login(get_user_model().objects.create_superuser(email="ops@x.test", password="x"))

    response = client.post(f"{CHANGELIST}{sellers['own'].id}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Product.objects.filter(pk=sellers["own"].id).exists()


def test_an_admin_tax_class_edit_publishes_the_product_with_it(client, sellers):
    client.force_login(staff_of(sellers["north"]))
    own = sellers["own"]
    since = OutboxEvent.objects.order_by("-id").first().id

    response = client.post(f"{CHANGELIST}{own.id}/change/", product_form(own, tax_class="zero"))

    assert response.status_code == 302, admin_errors(response)
    published = OutboxEvent.objects.get(id__gt=since, name="ProductPublished").to_event()
    assert published.tax_class == "zero"
    assert own.name in client.get(f"{CHANGELIST}?tax_class__exact=zero").content.decode()
    assert own.name not in client.get(f"{CHANGELIST}?tax_class__exact=standard").content.decode()
