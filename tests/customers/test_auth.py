"""Registration, login, logout, token expiry and throttling."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flowmart.common.errors import InvalidRequest
from flowmart.customers import services
from flowmart.customers.api.throttles import AuthThrottle
from flowmart.customers.authentication import token_with_user
from flowmart.customers.models import ApiToken, hash_token
from flowmart.events.models import OutboxEvent

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/me/"
PASSWORD = "Velvet-Harbour-42"


def register(client, email="ana@example.com", password=PASSWORD, **extra):
    return client.post(REGISTER, {"email": email, "password": password, **extra}, format="json")


def bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_register_returns_id_email_and_a_working_token(api_client):
    response = register(api_client, email="Ana@Example.com", first_name="Ana", last_name="Lima")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "token"}
    assert body["email"] == "ana@example.com"
    user = get_user_model().objects.get(pk=body["id"])
    assert (user.first_name, user.last_name) == ("Ana", "Lima")
    assert user.check_password(PASSWORD)
    me = bearer(api_client, body["token"]).get(ME)
    assert me.status_code == 200
    assert me.json()["email"] == "ana@example.com"


def test_register_publishes_customer_registered_in_the_same_transaction(api_client):
    body = register(api_client, first_name="Ana").json()

    event = OutboxEvent.objects.get(name="CustomerRegistered").to_event()
    assert event.customer_id == body["id"]
    assert event.email == "ana@example.com"
    assert event.first_name == "Ana"
    assert event.joined_at is not None


def test_taken_email_is_refused_whatever_its_case(api_client):
    register(api_client)

    response = register(api_client, email="  ANA@example.COM ")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "email" in error["fields"]
    assert get_user_model().objects.count() == 1
    assert OutboxEvent.objects.filter(name="CustomerRegistered").count() == 1


@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "12345678901", "ana.lima@example"],
    ids=["too-short", "common", "numeric", "like-the-email"],
)
def test_django_password_validators_apply(api_client, password):
    response = register(api_client, email="ana.lima@example.com", password=password)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["fields"]["password"]
    assert not get_user_model().objects.exists()
    assert not OutboxEvent.objects.exists()


def test_register_validates_the_email_and_requires_a_password(api_client):
    response = api_client.post(REGISTER, {"email": "not-an-email"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"email", "password"}


def test_token_for_right_credentials_any_email_case(api_client):
    register(api_client)

    response = api_client.post(TOKEN, {"email": "ANA@example.com", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    assert bearer(api_client, response.json()["token"]).get(ME).status_code == 200
    assert get_user_model().objects.get().last_login is not None


@pytest.mark.parametrize("email,password", [("ana@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)])
def test_wrong_credentials_are_401(api_client, email, password):
    register(api_client)

    response = api_client.post(TOKEN, {"email": email, "password": password}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_inactive_account_cannot_log_in(api_client):
    register(api_client)
    get_user_model().objects.update(is_active=False)

    response = api_client.post(TOKEN, {"email": "ana@example.com", "password": PASSWORD}, format="json")

    assert response.status_code == 401


def test_token_request_needs_both_fields(api_client):
    response = api_client.post(TOKEN, {"email": "ana@example.com"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]


def test_logout_revokes_only_the_current_token(make_customer):
    client = make_customer()
    _, other_raw = ApiToken.issue(client.user)

    assert client.post(LOGOUT).status_code == 204

    refused = client.get(ME)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "not_authenticated"
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 1
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {other_raw}")
    assert client.get(ME).status_code == 200


def test_logout_needs_a_token(api_client):
    response = api_client.post(LOGOUT)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@override_settings(API_TOKEN_TTL=timedelta(hours=2))
def test_tokens_expire_after_the_configured_ttl(api_client):
    token = register(api_client).json()["token"]
    stored = ApiToken.objects.get()
    assert abs(stored.expires_at - (timezone.now() + timedelta(hours=2))) < timedelta(minutes=1)
    assert bearer(api_client, token).get(ME).status_code == 200

    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_unknown_or_malformed_tokens_are_401(api_client):
    assert bearer(api_client, "no-such-token").get(ME).status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert api_client.get(ME).status_code == 401
    api_client.credentials()
    assert api_client.get(ME).status_code == 401


def test_login_and_registration_are_throttled(api_client, monkeypatch):
    monkeypatch.setattr(AuthThrottle, "rate", "3/min", raising=False)
    register(api_client)
    api_client.post(TOKEN, {"email": "ana@example.com", "password": "wrong"}, format="json")
    api_client.post(TOKEN, {"email": "ana@example.com", "password": "wrong"}, format="json")

    login = api_client.post(TOKEN, {"email": "ana@example.com", "password": PASSWORD}, format="json")
    signup = register(api_client, email="bo@example.com")

    for response in (login, signup):
        assert response.status_code == 429
        assert response.json()["error"]["code"] == "throttled"
        assert int(response["Retry-After"]) > 0
    assert not get_user_model().objects.filter(email="bo@example.com").exists()


def test_the_throttle_counts_per_client_address(api_client, monkeypatch):
    monkeypatch.setattr(AuthThrottle, "rate", "1/min", raising=False)

    def signup(email, address):
        return api_client.post(REGISTER, {"email": email, "password": PASSWORD}, format="json", REMOTE_ADDR=address)

    assert signup("ana@example.com", "10.0.0.1").status_code == 201
    assert signup("bo@example.com", "10.0.0.1").status_code == 429
    assert signup("bo@example.com", "10.0.0.2").status_code == 201


def test_a_registration_racing_another_for_the_same_email_is_a_validation_error():
    """The serializer's check can pass for both; the unique index decides, and nothing half-written stays."""
    services.register_customer(email="race@example.com", password=PASSWORD)

    with pytest.raises(InvalidRequest) as refused:
        services.register_customer(email="RACE@example.com", password=PASSWORD)

    assert "email" in refused.value.fields
    assert get_user_model().objects.count() == ApiToken.objects.count() == 1
    assert OutboxEvent.objects.filter(name="CustomerRegistered").count() == 1


def test_logging_in_again_works_with_a_stale_token_still_attached(api_client):
    register(api_client)
    bearer(api_client, "expired-or-revoked-token")

    response = api_client.post(TOKEN, {"email": "ana@example.com", "password": PASSWORD}, format="json")

    assert response.status_code == 200


def test_the_token_lookup_loads_what_the_orm_loads_in_one_statement(make_customer):
    client = make_customer(first_name="Ana", phone="+15555550100")
    with CaptureQueriesContext(connection) as queries:
        token = token_with_user(hash_token(client.token))
    assert len(queries) == 1
    orm = ApiToken.objects.select_related("user").get(key_hash=hash_token(client.token))
    for model, loaded, expected in [(ApiToken, token, orm), (get_user_model(), token.user, orm.user)]:
        for field in model._meta.concrete_fields:
            assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert token_with_user(hash_token("no-such-token")) is None


def test_a_deactivated_account_is_refused_on_its_next_request(make_customer):
    client = make_customer()
    assert client.get(ME).status_code == 200

    get_user_model().objects.filter(pk=client.user.pk).update(is_active=False)

    assert client.get(ME).status_code == 401
