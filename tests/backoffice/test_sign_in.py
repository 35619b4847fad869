"""Signing in to the back office."""

import pytest
from django.test import Client

from flowmart.customers import services as customers

PASSWORD = "Backoffice-pass-123"


@pytest.mark.django_db
def test_signing_in_on_the_login_page_itself_lands_on_the_back_office():
    """A bookmarked /admin/login/ carries no ?next=; the theme's form sends none either."""
    customers.create_staff_user(email="ops@flowmart.test", password=PASSWORD, role="operations")
    client = Client()

    response = client.post("/admin/login/", {"username": "ops@flowmart.test", "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_a_customer_cannot_sign_in_to_the_back_office(django_user_model):
    django_user_model.objects.create_user(email="buyer@example.com", password=PASSWORD)

    response = Client().post("/admin/login/", {"username": "buyer@example.com", "password": PASSWORD})

    assert response.status_code == 200 and b"staff account" in response.content
