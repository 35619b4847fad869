"""The confirmation step of DELETE /api/v1/me/: the password first, then the confirmation
token it answers with; anything else is a machine-readable 4xx and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from flowmart.customers.models import AccountToken, User
from flowmart.events.models import OutboxEvent
from flowmart.events.redaction import redact
from flowmart.events.registry import subscribers_for

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
PASSWORD = "S3cure-pass-123"  # make_customer's


def untouched(client) -> bool:
    user = User.objects.get(pk=client.user.pk)
    return user.is_active and user.erased_at is None and not OutboxEvent.objects.filter(name="CustomerErased").exists()


def test_without_password_or_confirmation_nothing_happens(customer):
    response = customer.delete(ME)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "password" in response.json()["error"]["fields"]
    assert untouched(customer)


def test_a_wrong_password_is_refused(customer):
    response = customer.delete(ME, {"password": "not-it"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"password": ["The current password is wrong."]}
    assert untouched(customer)


def test_the_password_answers_a_confirmation_that_a_second_call_spends(customer):
    asked = customer.delete(ME, {"password": PASSWORD}, format="json")
    assert asked.status_code == 202
    body = asked.json()
    assert body["confirmation"] and body["expires_at"] and "DELETE /api/v1/me/" in body["detail"]
    assert untouched(customer)  # asking erases nothing
    stored = AccountToken.objects.get(user=customer.user, purpose="erasure")
    assert stored.token_hash != body["confirmation"]  # only its hash is kept

    wrong = customer.delete(ME, {"confirmation": "guessed"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_confirmation"
    assert untouched(customer)

    done = customer.delete(f"{ME}?confirm={body['confirmation']}")  # the query form works too
    assert done.status_code == 204
    assert User.objects.get(pk=customer.user.pk).erased_at is not None
    [event] = OutboxEvent.objects.filter(name="CustomerErased")
    assert event.payload["customer_id"] == customer.user.pk


def test_an_expired_or_superseded_confirmation_is_refused(customer, make_customer):
    first = customer.delete(ME, {"password": PASSWORD}, format="json").json()["confirmation"]
    second = customer.delete(ME, {"password": PASSWORD}, format="json").json()["confirmation"]
    superseded = customer.delete(ME, {"confirmation": first}, format="json")
    assert superseded.status_code == 400 and superseded.json()["error"]["code"] == "invalid_confirmation"

    AccountToken.objects.filter(user=customer.user, used_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    expired = customer.delete(ME, {"confirmation": second}, format="json")
    assert expired.status_code == 400 and expired.json()["error"]["code"] == "invalid_confirmation"

    other = make_customer()
    theirs = other.delete(ME, {"password": PASSWORD}, format="json").json()["confirmation"]
    assert customer.delete(ME, {"confirmation": theirs}, format="json").status_code == 400  # not mine
    assert untouched(customer) and User.objects.get(pk=other.user.pk).is_active


def test_every_context_holding_personal_data_subscribes_to_the_erasure():
    contexts = {subscriber.context for subscriber in subscribers_for("CustomerErased")}
    assert {"orders", "payments", "shipping", "subscriptions", "notifications", "reviews", "billing"} <= contexts


def test_redaction_replaces_people_not_facts():
    payload = {
        "name": "OrderConfirmed",
        "order_id": 3,
        "customer_id": 7,
        "customer_email": "ada@example.com",
        "client_ip": "203.0.113.9",
        "shipping_address": {"name": "Ada", "line1": "1 Main St", "city": "Newark", "country": "US", "phone": "+1555"},
        "lines": [{"sku": "FLOW-RED", "quantity": 1, "unit_price": {"amount": "20.00", "currency": "USD"}}],
        "contact": [{"email": "ada@example.com", "first_name": "Ada"}],
    }
    redacted = redact(payload, "erased-7@erased.invalid")
    assert redacted["customer_email"] == "erased-7@erased.invalid" and redacted["client_ip"] == ""
    assert redacted["shipping_address"] == {
        **dict.fromkeys(("line1", "line2", "city", "postal_code", "phone"), ""),
        "name": "(erased)",
        "country": "US",
    }
    assert redacted["contact"] == [{"email": "erased-7@erased.invalid", "first_name": ""}]
    assert redacted["lines"] == payload["lines"] and redacted["order_id"] == 3 and redacted["name"] == "OrderConfirmed"
