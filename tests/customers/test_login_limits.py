"""Login limits that hold: per client address (whatever X-Forwarded-For says) and per account
(wherever the guesses come from), atomic under parallel guesses, on the API and the admin."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

TOKEN = "/api/v1/auth/token/"
REGISTER = "/api/v1/auth/register/"
PASSWORD = "S3cure-pass-123"


@pytest.fixture
def rates(settings):
    """rates(auth="10/min", ...): the limits under test; every other scope effectively off."""

    def set_rates(**scoped):
        loose = {scope: "10000/min" for scope in ("auth", "login_account", "register", "checkout", "password_reset")}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**loose, **scoped}}

    return set_rates


@pytest.fixture
def ana(db):
    return get_user_model().objects.create_user(email="ana@example.com", password=PASSWORD)


def login(client, password="wrong", email="ana@example.com", **extra):
    return client.post(TOKEN, {"email": email, "password": password}, format="json", **extra)


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_fifteen_guesses_with_fifteen_forwarded_addresses_are_429_after_the_limit(api_client, ana, rates):
    rates(auth="10/min")
    statuses = [
        login(api_client, email=f"guess{n}@example.com", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(15)
    ]
    assert statuses == [401] * 10 + [429] * 5


def test_guesses_at_one_account_from_many_addresses_lock_that_account_only(api_client, ana, rates):
    rates(login_account="5/15m")
    statuses = [login(api_client, REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(7)]
    assert statuses == [401] * 5 + [429] * 2
    assert_throttled(login(api_client, password=PASSWORD, REMOTE_ADDR="192.0.2.1"))  # even the right password

    get_user_model().objects.create_user(email="bo@example.com", password=PASSWORD)
    assert login(api_client, password=PASSWORD, email="BO@example.com ").status_code == 200  # others unaffected


def test_successful_logins_do_not_count_against_the_account(api_client, ana, rates):
    rates(login_account="3/15m")
    for _ in range(5):
        assert login(api_client, password=PASSWORD).status_code == 200
    assert [login(api_client).status_code for _ in range(4)] == [401, 401, 401, 429]


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_cannot_slip_past_the_account_limit(rates):
    rates(login_account="5/15m")
    get_user_model().objects.create_user(email="ana@example.com", password=PASSWORD)
    start, statuses = threading.Barrier(20), []

    def guess(n):
        try:
            start.wait()
            statuses.append(login(APIClient(), REMOTE_ADDR=f"198.51.100.{n}").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 5 + [429] * 15


def test_the_admin_login_is_limited_per_address_and_per_account(client, ana, rates):
    rates(auth="3/min", login_account="10000/min")
    attempts = [
        client.post("/admin/login/", {"username": f"x{n}@example.com", "password": "wrong"}, HTTP_ACCEPT="text/html")
        for n in range(4)
    ]
    assert [r.status_code for r in attempts] == [200, 200, 200, 429]
    assert int(attempts[-1]["Retry-After"]) > 0 and b"Too many login attempts" in attempts[-1].content

    rates(auth="10000/min", login_account="2/15m")
    staff = get_user_model().objects.create_user(email="ops@example.com", password=PASSWORD, is_staff=True)
    form = {"username": staff.email, "password": "wrong"}
    statuses = [client.post("/admin/login/", form, REMOTE_ADDR=f"192.0.2.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    assert_throttled(client.post("/admin/login/", {**form, "password": PASSWORD}))
    assert client.get("/admin/login/").status_code == 200  # the form itself is always served


def test_the_admin_login_still_logs_in(client, rates, db):
    rates(login_account="2/15m")
    get_user_model().objects.create_user(email="ops@example.com", password=PASSWORD, is_staff=True)
    for _ in range(3):
        response = client.post("/admin/login/?next=/admin/", {"username": "ops@example.com", "password": PASSWORD})
        assert response.status_code == 302


def test_registration_is_limited_per_address(api_client, rates, db):
    rates(register="2/h")
    statuses = [
        api_client.post(REGISTER, {"email": f"new{n}@example.com", "password": PASSWORD}, format="json").status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert get_user_model().objects.count() == 2
