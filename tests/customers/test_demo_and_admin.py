"""The demo accounts and the operators' admin for customers."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from flowmart.common.demo import SELLERS
from flowmart.customers.models import Address
from flowmart.events.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_demo_customers_is_idempotent_and_the_logins_work(api_client):
    call_command("demo_customers", stdout=StringIO())
    users, events = get_user_model().objects.count(), OutboxEvent.objects.count()
    call_command("demo_customers", stdout=StringIO())

    assert get_user_model().objects.count() == users == 2 + len(SELLERS)
    assert OutboxEvent.objects.count() == events
    admin = get_user_model().objects.get(email="admin@flowmart.local")
    assert admin.is_superuser and admin.check_password("admin")
    for seller in SELLERS:
        staff = get_user_model().objects.get(email=f"{seller['slug']}@flowmart.local")
        assert staff.is_staff and not staff.is_superuser
    assert Address.objects.filter(customer__email="demo@flowmart.local").count() == 1
    login = api_client.post(
        "/api/v1/auth/token/", {"email": "demo@flowmart.local", "password": "demo-pass-123"}, format="json"
    )
    assert login.status_code == 200


def test_admin_address_edit_publishes_like_the_api(client, make_customer):
    operator = get_user_model().objects.create_superuser(email="ops@example.com", password="x")
    owner = make_customer().user
    client.force_login(operator)
    form = {
        "customer": owner.id,
        "name": "Ana",
        "line1": "1 Main St",
        "line2": "",
        "city": "Austin",
        "postal_code": "73301",
        "country": "US",
        "phone": "",
    }

    response = client.post("/admin/customers/address/add/", form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    address = Address.objects.get()
    event = OutboxEvent.objects.get(name="CustomerAddressSaved").to_event()
    assert (event.address_id, event.customer_id) == (address.id, owner.id)
    refused = client.post("/admin/customers/address/add/", {**form, "country": "XX"})
    assert refused.status_code == 200  # the form comes back with the error
    assert Address.objects.count() == 1


def test_admin_lists_users_tokens_and_addresses(client):
    operator = get_user_model().objects.create_superuser(email="ops@example.com", password="x")
    client.force_login(operator)

    for url in ("/admin/customers/user/", "/admin/customers/apitoken/", "/admin/customers/address/"):
        assert client.get(url).status_code == 200
    assert client.get(f"/admin/customers/user/{operator.id}/change/").status_code == 200
