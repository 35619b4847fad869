"""Email change with confirmation: the link goes to the new address, the change happens when
it is followed, and the old address is told. Mail through notifications to a local SMTP server."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from flowmart.customers.models import AccountToken
from tests.notifications.fakes import SmtpServer

from .test_account_recovery import PASSWORD, login, register

pytestmark = pytest.mark.django_db(transaction=True)

CHANGE = "/api/v1/me/email/"
CONFIRM = "/api/v1/me/email/confirm/"
LINK = re.compile(r"https://www\.shop\.example\.com/account/email/confirm/\?token=([\w-]+)")


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    for key, value in server.settings().items():
        setattr(settings, key, value)
    settings.STOREFRONT_URL = "https://www.shop.example.com"
    yield server
    server.stop()


def confirmation_token(smtp, address) -> str:
    [mail] = smtp.to(address)
    assert mail.subject == "Confirm your new FlowMart email address"
    [token] = LINK.findall(mail.part("text/plain"))
    assert token in mail.part("text/html")
    return token


def test_the_new_address_confirms_and_the_old_one_is_told(smtp):
    client = register()
    asked = client.post(CHANGE, {"new_email": "Ana.New@Example.com", "password": PASSWORD})
    assert asked.status_code == 202
    assert client.get("/api/v1/me/").json()["email"] == "ana@example.com"  # nothing changed yet
    token = confirmation_token(smtp, "ana.new@example.com")
    with connection.cursor() as cursor:
        for table in ("events_outboxevent", "notifications_message", "customers_accounttoken"):
            cursor.execute(f"SELECT * FROM {table}")
            assert token not in repr(cursor.fetchall()), table

    confirmed = APIClient().post(CONFIRM, {"token": token})

    assert confirmed.status_code == 200 and confirmed.json()["email"] == "ana.new@example.com"
    assert client.get("/api/v1/me/").json()["email"] == "ana.new@example.com"
    assert login("ana.new@example.com", PASSWORD).status_code == 200
    assert login("ana@example.com", PASSWORD).status_code == 401
    told = [m for m in smtp.to("ana@example.com") if m.subject == "Your FlowMart contact details were changed"]
    assert len(told) == 1
    assert APIClient().post(CONFIRM, {"token": token}).status_code == 400  # single use


def test_a_change_needs_the_password_and_a_free_address(smtp):
    client = register()
    register("taken@example.com")

    wrong = client.post(CHANGE, {"new_email": "x@example.com", "password": "nope"})
    taken = client.post(CHANGE, {"new_email": "taken@example.com", "password": PASSWORD})
    anonymous = APIClient().post(CHANGE, {"new_email": "x@example.com", "password": PASSWORD})

    assert wrong.status_code == 400 and "password" in wrong.json()["error"]["fields"]
    assert taken.status_code == 400 and "new_email" in taken.json()["error"]["fields"]
    assert anonymous.status_code == 401
    assert smtp.to("x@example.com") == [] and smtp.to("taken@example.com") == []


def test_an_address_taken_meanwhile_or_an_expired_link_changes_nothing(smtp):
    client = register()
    client.post(CHANGE, {"new_email": "later@example.com", "password": PASSWORD})
    token = confirmation_token(smtp, "later@example.com")
    register("later@example.com")

    conflict = APIClient().post(CONFIRM, {"token": token})
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"

    client.post(CHANGE, {"new_email": "other@example.com", "password": PASSWORD})
    expired = confirmation_token(smtp, "other@example.com")
    AccountToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert APIClient().post(CONFIRM, {"token": expired}).status_code == 400
    assert client.get("/api/v1/me/").json()["email"] == "ana@example.com"
