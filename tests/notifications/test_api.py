"""The storefront API of notifications: history (own messages only), preferences, push
subscriptions, the VAPID key, and the one-click unsubscribe link (RFC 8058)."""

import pytest
from rest_framework.test import APIClient

from flowmart.contracts.common import SkuQuantity
from flowmart.contracts.shipping import ShipmentCreated, ShipmentDispatched
from flowmart.notifications.models import Message, Preference, PushSubscription

from .conftest import contact, order_confirmed

pytestmark = pytest.mark.django_db
PREFS = "/api/v1/me/notification-preferences/"
PUSH = "/api/v1/me/push-subscriptions/"


def message(customer_id, n=0, **kw):
    return Message.objects.create(
        source_key=f"ev-{customer_id}-{n}",
        recipient_key=f"customer:{customer_id}",
        channel=kw.pop("channel", "email"),
        message_type=kw.pop("message_type", "order_confirmation"),
        category="order",
        customer_id=customer_id,
        to="x@example.com",
        **kw,
    )


def test_history_lists_only_the_callers_own_messages_paginated(make_customer):
    alice, bob = make_customer(), make_customer()
    for n in range(3):
        message(alice.user.id, n, status="sent")
    theirs = message(bob.user.id, 0, channel="sms", message_type="shipment_dispatched")

    page = alice.get("/api/v1/notifications/?page_size=2").json()
    assert page["count"] == 3 and page["next"] and page["previous"] is None
    first = page["results"][0]
    assert set(first) >= {"id", "channel", "template", "status", "created_at", "sent_at"}
    assert (first["template"], first["status"]) == ("order_confirmation", "sent")
    everything = page["results"] + alice.get(page["next"]).json()["results"]
    assert theirs.pk not in {m["id"] for m in everything}
    assert [m["id"] for m in bob.get("/api/v1/notifications/").json()["results"]] == [theirs.pk]


def test_history_needs_a_login():
    response = APIClient().get("/api/v1/notifications/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_preferences_default_then_put(customer):
    assert customer.get(PREFS).json() == {
        "email": True,
        "sms": False,
        "push": True,
        "categories": {"shipping": True, "back_in_stock": True, "marketing": False},
    }
    body = {"email": False, "sms": True, "push": False, "categories": {"marketing": True}}
    response = customer.put(PREFS, body)
    assert response.status_code == 200
    assert response.json() == {
        "email": False,
        "sms": True,
        "push": False,
        "categories": {"shipping": True, "back_in_stock": True, "marketing": True},
    }
    assert customer.get(PREFS).json() == response.json()
    assert Preference.objects.get(customer_id=customer.user.id).sms is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sms": True, "push": True}, "email"),
        ({"email": True, "sms": True, "push": True, "categories": {"order": False}}, "categories"),
        ({"email": True, "sms": True, "push": True, "categories": {"nonsense": True}}, "categories"),
        ({"email": "maybe", "sms": True, "push": True}, "email"),
    ],
)
def test_preferences_refuse_what_they_cannot_mean(customer, body, field):
    response = customer.put(PREFS, body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Preference.objects.filter(customer_id=customer.user.id).exists()


def test_push_subscriptions_register_list_and_delete(make_customer, settings):
    settings.WEBPUSH = {**settings.WEBPUSH, "ALLOWED_HOSTS": [".push.example.net"]}
    alice, bob = make_customer(), make_customer()
    body = {"endpoint": "https://eu.push.example.net/abc", "keys": {"p256dh": "BPk3" + "a" * 60, "auth": "x" * 22}}
    created = alice.post(PUSH, body)
    assert created.status_code == 201 and created.json()["endpoint"] == body["endpoint"]
    assert alice.post(PUSH, body).status_code == 200  # the same browser again: one row
    assert [s["id"] for s in alice.get(PUSH).json()] == [created.json()["id"]]
    assert "keys" not in alice.get(PUSH).json()[0]
    assert bob.delete(f"{PUSH}{created.json()['id']}/").status_code == 404
    assert alice.delete(f"{PUSH}{created.json()['id']}/").status_code == 204
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "endpoint",
    ["http://eu.push.example.net/abc", "https://169.254.169.254/latest/meta-data", "https://evil.example/push"],
)
def test_push_endpoints_must_be_a_known_push_service(customer, settings, endpoint):
    settings.WEBPUSH = {**settings.WEBPUSH, "ALLOWED_HOSTS": [".push.example.net"]}
    response = customer.post(PUSH, {"endpoint": endpoint, "keys": {"p256dh": "B" * 65, "auth": "a" * 22}})
    assert response.status_code == 400 and "endpoint" in response.json()["error"]["fields"]


def test_the_vapid_public_key_is_served_when_push_is_configured(settings, vapid_keys):
    assert APIClient().get("/api/v1/notifications/push-key/").json() == {"enabled": False, "public_key": None}
    settings.WEBPUSH = {**settings.WEBPUSH, "VAPID_PRIVATE_KEY": vapid_keys[0]}
    assert APIClient().get("/api/v1/notifications/push-key/").json() == {"enabled": True, "public_key": vapid_keys[1]}


def test_profile_carries_phone_and_locale(customer):
    response = customer.patch("/api/v1/me/", {"phone": "+1 555 555 0100", "locale": "de"})
    assert response.status_code == 200
    assert (response.json()["phone"], response.json()["locale"]) == ("+15555550100", "de")
    bad = customer.patch("/api/v1/me/", {"phone": "0555-123", "locale": "xx"})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"phone", "locale"}


# --- one-click unsubscribe -------------------------------------------------------------------


@pytest.fixture
def shipping_mail(emit, providers, make_customer):
    client = make_customer()
    order = order_confirmed(customer_id=client.user.id, email=client.user.email)
    emit(contact(order.customer_id, order.customer_email), order)
    lines = (SkuQuantity(sku="MUG-RED", quantity=1),)
    emit(
        ShipmentCreated(
            shipment_id=61,
            order_id=order.order_id,
            warehouse_code="US-EAST",
            carrier="postal",
            method="standard",
            tracking_number="PO1",
            lines=lines,
        ),
        ShipmentDispatched(shipment_id=61, order_id=order.order_id, warehouse_code="US-EAST", lines=lines),
    )
    [mail] = providers.smtp.to(order.customer_email)
    return client, order, mail


def test_optional_email_carries_rfc8058_one_click_headers(shipping_mail):
    _, _, mail = shipping_mail
    header = mail.header("List-Unsubscribe")
    assert header.startswith("<https://shop.example.com/api/v1/notifications/unsubscribe/") and header.endswith("/>")
    assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert header[1:-1] in mail.part("text/plain") and header[1:-1] in mail.part("text/html")


def test_one_click_unsubscribe_works_without_logging_in(emit, shipping_mail, providers):
    client, order, mail = shipping_mail
    path = mail.header("List-Unsubscribe")[1:-1].removeprefix("https://shop.example.com")
    anonymous = APIClient()

    page = anonymous.get(path)  # link scanners fetch links: a GET only asks
    assert page.status_code == 200 and b"Stop sending me <strong>shipping updates</strong>?" in page.content
    assert client.get(PREFS).json()["categories"]["shipping"] is True

    done = anonymous.generic(
        "POST", path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200 and b"You are unsubscribed" in done.content
    assert client.get(PREFS).json()["categories"]["shipping"] is False

    lines = (SkuQuantity(sku="MUG-RED", quantity=1),)
    emit(ShipmentDispatched(shipment_id=62, order_id=order.order_id, warehouse_code="US-EAST", lines=lines))
    assert len(providers.smtp.to(order.customer_email)) == 1  # nothing new


def test_a_forged_or_tampered_unsubscribe_token_does_nothing(shipping_mail):
    client, _, mail = shipping_mail
    path = mail.header("List-Unsubscribe")[1:-1].removeprefix("https://shop.example.com")
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    response = APIClient().post(
        tampered, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 404
    assert client.get(PREFS).json()["categories"]["shipping"] is True
