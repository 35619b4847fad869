"""Who works for which seller: every change publishes the user's whole list of sellers
(SellerStaffChanged) in its own transaction, from the services, the admin and commands."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from flowmart.catalog import services
from flowmart.catalog.models import Seller, SellerMember
from flowmart.events.models import OutboxEvent

from .factories import SellerFactory, make_product

pytestmark = pytest.mark.django_db


def changes(since=0) -> list[tuple[int, tuple[int, ...]]]:
    rows = OutboxEvent.objects.filter(name="SellerStaffChanged", id__gt=since).order_by("id")
    return [(e.user_id, e.seller_ids) for e in (row.to_event() for row in rows)]


def last_event_id() -> int:
    return OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.fixture
def people():
    users = get_user_model().objects
    return {
        "north": SellerFactory(slug="north"),
        "acme": SellerFactory(slug="acme"),
        "ann": users.create_user(email="ann@x.test", password="x"),
        "bob": users.create_user(email="bob@x.test", password="x"),
    }


def test_adding_and_removing_publish_the_users_whole_list(people):
    north, acme, ann = people["north"], people["acme"], people["ann"]

    services.add_seller_member(north, ann.id)
    services.add_seller_member(acme, ann.id)
    services.add_seller_member(acme, ann.id)  # no change, no event
    assert services.remove_seller_member(north, ann.id)
    assert not services.remove_seller_member(north, ann.id)

    assert changes() == [(ann.id, (north.id,)), (ann.id, tuple(sorted([north.id, acme.id]))), (ann.id, (acme.id,))]


def test_a_deleted_seller_is_taken_off_its_staffs_lists(people, client):
    north, acme, ann, bob = people["north"], people["acme"], people["ann"], people["bob"]
    for seller, user in ((north, ann), (acme, ann), (north, bob)):
        services.add_seller_member(seller, user.id)
    since = last_event_id()
    client.force_login(get_user_model().objects.create_superuser(email="root@x.test", password="x"))

    response = client.post(f"/admin/catalog/seller/{north.id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Seller.objects.filter(pk=north.id).exists()
    assert sorted(changes(since)) == [(ann.id, (acme.id,)), (bob.id, ())]


def test_seller_staff_command_adds_removes_and_lists(people):
    acme, ann = people["acme"], people["ann"]
    out = StringIO()

    call_command("seller_staff", "add", "ANN@x.test", "north", "acme", stdout=out)
    call_command("seller_staff", "remove", str(ann.id), "north", stdout=out)
    call_command("seller_staff", "list", stdout=out)

    assert set(SellerMember.objects.values_list("seller__slug", "user_id")) == {("acme", ann.id)}
    assert changes()[-1] == (ann.id, (acme.id,))
    assert "ann@x.test now works for north, acme" in out.getvalue()
    assert "acme\tann@x.test" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "nobody@x.test", "north"], "No account nobody@x.test"),
        (["add", "ann@x.test", "north", "nowhere"], "Unknown seller(s): nowhere"),
        (["remove", "ann@x.test", "north"], "ann@x.test does not work for north"),
    ],
)
def test_seller_staff_command_refuses_clearly_and_changes_nothing(people, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("seller_staff", *args, stdout=StringIO())

    assert not SellerMember.objects.exists() and changes() == []


def test_republish_catalog_announces_products_and_memberships_again(people):
    north, ann = people["north"], people["ann"]
    product = make_product("Tent", seller=north)
    services.retire_product(make_product("Old", seller=north))
    services.add_seller_member(north, ann.id)
    since = last_event_id()
    out = StringIO()

    call_command("republish_catalog", stdout=out)

    published = OutboxEvent.objects.filter(id__gt=since, name="ProductPublished")
    assert [e.to_event().product_id for e in published] == [product.id]  # sellable products only
    assert changes(since) == [(ann.id, (north.id,))]
    assert not OutboxEvent.objects.filter(id__gt=since, name="VariantPriceChanged").exists()
    assert "Published 1 products and the sellers of 1 staff users" in out.getvalue()
