"""Staff accounts: the role groups of migration 0003, and creating staff users of each role
from the command line (create_staff_user, create_seller_user), through the services."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from flowmart.catalog.models import SellerMember
from flowmart.common import roles
from flowmart.events.models import OutboxEvent
from flowmart.inventory import services as inventory
from tests.catalog.factories import CategoryFactory, SellerFactory, make_product, variant
from tests.support.roles import install_roles

pytestmark = pytest.mark.django_db

PASSWORD = "Staff-pass-123!"


def perms(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_migration_makes_both_roles_with_their_admin_permissions():
    install_roles()
    install_roles()  # idempotent

    operations, seller_staff = perms(roles.OPERATIONS), perms(roles.SELLER_STAFF)
    assert {"inventory.change_stocklevel", "shipping.view_shipment", "orders.view_order"} <= operations
    assert "events.view_delivery" in operations
    assert not {p for p in operations if p.startswith("auth.")}
    # Users are read-only: whoever may change a user may make themselves a superuser.
    assert {p.removeprefix("customers.") for p in operations if p.startswith("customers.")} == {
        "view_user",
        "view_address",
        "add_address",
        "change_address",
        "view_apitoken",
        "change_apitoken",
    }
    assert not {p for p in operations if ".delete_" in p}
    catalogue = {
        f"catalog.{action}_{model}" for action in ("view", "add", "change") for model in ("product", "variant")
    }
    back_office = {  # their order lines, stock (receive/adjust), ledger, reservations, parcels and returns
        "orders.view_orderline",
        "inventory.view_stocklevel",
        "inventory.add_stocklevel",
        "inventory.change_stocklevel",
        "inventory.view_stockmovement",
        "inventory.view_reservation",
        "shipping.view_shipment",
        "shipping.view_return",
    }
    assert seller_staff == catalogue | back_office
    assert Permission.objects.filter(group__name=roles.OPERATIONS).count() == len(operations)


def test_an_operations_user_gets_the_role_and_can_sign_in():
    out = StringIO()

    call_command("create_staff_user", "Olga@Ops.test", "--role", "operations", "--password", PASSWORD, stdout=out)

    user = get_user_model().objects.get(email="olga@ops.test")
    assert user.is_staff and not user.is_superuser and roles.is_operations(user)
    assert not SellerMember.objects.filter(user_id=user.id).exists()
    assert "olga@ops.test is operations" in out.getvalue()
    token = APIClient().post("/api/v1/auth/token/", {"email": "olga@ops.test", "password": PASSWORD}, format="json")
    assert token.status_code == 200


def test_a_new_seller_user_works_for_their_seller_at_once(django_capture_on_commit_callbacks):
    """Onboarding end to end: the command, SellerStaffChanged to inventory, the scoped API."""
    kettle, other = SellerFactory(slug="kettle"), SellerFactory(slug="other")
    category = CategoryFactory()
    with django_capture_on_commit_callbacks(execute=True):
        make_product("Kettle", seller=kettle, category=category, variants=[variant(sku="KET-1")])
        make_product("Other", seller=other, category=category, variants=[variant(sku="OTH-1")])
    inventory.create_warehouse(code="US-EAST", name="Newark", country="US", latitude="40.7", longitude="-74.2")
    for sku in ("KET-1", "OTH-1"):
        inventory.receive_stock(sku=sku, warehouse_code="US-EAST", quantity=4)

    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_seller_user", "sam@kettle.test", "--seller", "kettle", "--password", PASSWORD, stdout=StringIO()
        )

    sam = get_user_model().objects.get(email="sam@kettle.test")
    assert roles.is_seller_staff(sam) and sam.is_staff
    assert list(SellerMember.objects.filter(user_id=sam.id).values_list("seller__slug", flat=True)) == ["kettle"]
    event = OutboxEvent.objects.get(name="SellerStaffChanged").to_event()
    assert (event.user_id, event.seller_ids) == (sam.id, (kettle.id,))
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"email": "sam@kettle.test", "password": PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}")
    assert [row["sku"] for row in client.get("/api/v1/inventory/stock/").json()["results"]] == ["KET-1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a@x.test", "--role", "seller-staff", "--password", PASSWORD], "Seller staff work for at least one seller"),
        (["a@x.test", "--role", "operations", "--seller", "kettle", "--password", PASSWORD], "Operations work for"),
        (["a@x.test", "--role", "seller-staff", "--seller", "nowhere", "--password", PASSWORD], "Unknown seller"),
        (["not-an-email", "--role", "operations", "--password", PASSWORD], "email: Enter a valid email address"),
        (["a@x.test", "--role", "operations", "--password", "12345678"], "password: This password is too common"),
        (["a@x.test", "--role", "operations", "--existing"], "No account a@x.test"),
        # No password and no terminal to ask in (pytest's stdin): refused, never a blank password.
        (["a@x.test", "--role", "operations"], "Give --password, or run the command in a terminal"),
    ],
)
def test_create_staff_user_refuses_clearly_and_leaves_nothing_behind(args, message):
    SellerFactory(slug="kettle")

    with pytest.raises(CommandError, match=message):
        call_command("create_staff_user", *args, stdout=StringIO())

    assert not get_user_model().objects.exists() and not SellerMember.objects.exists()
    assert not OutboxEvent.objects.filter(name="SellerStaffChanged").exists()


def test_an_unknown_role_is_refused_by_the_command_line():
    with pytest.raises(CommandError, match="invalid choice: 'admin'"):
        call_command("create_staff_user", "a@x.test", "--role", "admin", "--password", PASSWORD)


def test_an_existing_account_gets_the_role_only_when_asked(make_customer):
    customer = make_customer(email="cara@x.test", password="Own-pass-123")
    SellerFactory(slug="kettle")

    with pytest.raises(CommandError, match="has an account already; add --existing"):
        call_command("create_seller_user", "cara@x.test", "--seller", "kettle", "--password", PASSWORD)
    call_command("create_seller_user", "cara@x.test", "--seller", "kettle", "--existing", stdout=StringIO())

    customer.user.refresh_from_db()
    assert roles.is_seller_staff(get_user_model().objects.get(pk=customer.user.pk))
    assert customer.user.check_password("Own-pass-123")  # the password is kept
    assert SellerMember.objects.filter(user_id=customer.user.pk, seller__slug="kettle").exists()


def test_demo_seller_logins_are_seller_staff_and_the_admin_a_superuser():
    call_command("demo_customers", stdout=StringIO())
    call_command("demo_catalog", stdout=StringIO())

    users = get_user_model().objects
    assert users.get(email="admin@flowmart.local").is_superuser
    seller = users.get(email="kettle-and-co@flowmart.local")
    assert roles.is_seller_staff(seller) and not seller.is_superuser
    assert list(SellerMember.objects.filter(user_id=seller.id).values_list("seller__slug", flat=True)) == [
        "kettle-and-co"
    ]
