"""Account recovery through the API, end to end: the reset and confirmation emails travel
customers → outbox → notifications → real SMTP (a local server), and the link in the mail is
the only place the token exists in clear."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from flowmart.customers.models import AccountToken, ApiToken
from flowmart.events.models import OutboxEvent
from flowmart.notifications.models import Message
from tests.notifications.fakes import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)

RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/me/"
PASSWORD = "Velvet-Harbour-42"
NEW_PASSWORD = "Copper-Lantern-77"
LINK = re.compile(r"https://www\.shop\.example\.com/account/password-reset/\?token=([\w-]+)")


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    for key, value in server.settings().items():
        setattr(settings, key, value)
    settings.STOREFRONT_URL = "https://www.shop.example.com"
    yield server
    server.stop()


def register(email="ana@example.com"):
    client = APIClient()
    body = client.post("/api/v1/auth/register/", {"email": email, "password": PASSWORD, "first_name": "Ana"}).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    return client


def reset_link(smtp, email, minutes=60) -> str:
    [mail] = [m for m in smtp.to(email) if "Reset your FlowMart password" in m.subject]
    text, html = mail.part("text/plain"), mail.part("text/html")
    [token] = LINK.findall(text)
    assert token in html and f"works once, for {minutes} minutes" in text
    return token


def login(email, password):
    return APIClient().post(TOKEN, {"email": email, "password": password})


def test_reset_by_email_sets_the_password_once_and_revokes_every_token(smtp):
    client = register()
    answer = APIClient().post(RESET, {"email": "Ana@Example.com"})
    assert answer.status_code == 202
    token = reset_link(smtp, "ana@example.com")

    assert APIClient().post(CONFIRM, {"token": token, "password": NEW_PASSWORD}).status_code == 204

    assert client.get(ME).status_code == 401  # the token from before the reset is revoked
    assert login("ana@example.com", PASSWORD).status_code == 401
    assert login("ana@example.com", NEW_PASSWORD).status_code == 200
    again = APIClient().post(CONFIRM, {"token": token, "password": "Another-Pass-991"})
    assert again.status_code == 400 and "token" in again.json()["error"]["fields"]
    notice = [m for m in smtp.to("ana@example.com") if m.subject == "Your FlowMart password was changed"]
    assert len(notice) == 1 and "reset with an emailed link" in notice[0].part("text/plain")


def test_the_token_is_in_clear_nowhere_but_the_email(smtp):
    register()
    APIClient().post(RESET, {"email": "ana@example.com"})
    token = reset_link(smtp, "ana@example.com")

    with connection.cursor() as cursor:
        for table in ("events_outboxevent", "notifications_message", "customers_accounttoken"):
            cursor.execute(f"SELECT * FROM {table}")
            assert token not in repr(cursor.fetchall()), table
    assert OutboxEvent.objects.filter(name="PasswordResetRequested").count() == 1
    assert Message.objects.get(message_type="password_reset").status == "sent"


def test_unknown_email_gets_the_same_answer_and_no_mail(smtp):
    register()
    known = APIClient().post(RESET, {"email": "ana@example.com"})
    unknown = APIClient().post(RESET, {"email": "nobody@example.com"})

    assert (unknown.status_code, unknown.json()) == (known.status_code, known.json())
    assert smtp.to("nobody@example.com") == []
    assert not OutboxEvent.objects.filter(name="PasswordResetRequested", payload__email="nobody@example.com").exists()


def test_an_expired_link_is_refused(smtp, settings):
    settings.PASSWORD_RESET_TTL = timedelta(minutes=5)
    register()
    APIClient().post(RESET, {"email": "ana@example.com"})
    token = reset_link(smtp, "ana@example.com", minutes=5)
    AccountToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    refused = APIClient().post(CONFIRM, {"token": token, "password": NEW_PASSWORD})

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "validation_error"
    assert login("ana@example.com", PASSWORD).status_code == 200


def test_a_weak_new_password_leaves_the_link_usable(smtp):
    register()
    APIClient().post(RESET, {"email": "ana@example.com"})
    token = reset_link(smtp, "ana@example.com")

    weak = APIClient().post(CONFIRM, {"token": token, "password": "123"})
    assert weak.status_code == 400 and "password" in weak.json()["error"]["fields"]
    assert APIClient().post(CONFIRM, {"token": token, "password": NEW_PASSWORD}).status_code == 204


def test_reset_requests_are_throttled_per_address_and_mails_per_account(smtp, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "password_reset": "4/h",
            "password_reset_email": "2/h",
        },
    }
    register()
    answers = [APIClient().post(RESET, {"email": "ana@example.com"}) for _ in range(5)]

    assert [a.status_code for a in answers] == [202, 202, 202, 202, 429]
    assert answers[-1].json()["error"]["code"] == "throttled" and answers[-1]["Retry-After"]
    assert len([m for m in smtp.to("ana@example.com") if "Reset" in m.subject]) == 2


def test_password_change_needs_the_current_password_and_logs_out_everywhere(smtp):
    client = register()
    other_device = login("ana@example.com", PASSWORD).json()["token"]

    wrong = client.post("/api/v1/me/password/", {"current_password": "nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 400 and "current_password" in wrong.json()["error"]["fields"]
    changed = client.post("/api/v1/me/password/", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert changed.status_code == 200
    assert client.get(ME).status_code == 401
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {other_device}")
    assert other.get(ME).status_code == 401
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {changed.json()['token']}")
    assert fresh.get(ME).status_code == 200
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1
    assert login("ana@example.com", NEW_PASSWORD).status_code == 200
    assert any(m.subject == "Your FlowMart password was changed" for m in smtp.to("ana@example.com"))


def test_a_password_change_voids_open_reset_links(smtp):
    client = register()
    APIClient().post(RESET, {"email": "ana@example.com"})
    token = reset_link(smtp, "ana@example.com")
    client.post("/api/v1/me/password/", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert APIClient().post(CONFIRM, {"token": token, "password": "Another-Pass-991"}).status_code == 400


def test_wrong_current_passwords_count_as_failed_logins(smtp, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login_account": "2/15m"},
    }
    client = register()
    guesses = [client.post("/api/v1/me/password/", {"current_password": f"guess-{n}", "new_password": NEW_PASSWORD})
               for n in range(3)]  # fmt: skip

    assert [g.status_code for g in guesses] == [400, 400, 429]
    assert login("ana@example.com", PASSWORD).status_code == 429  # the account is locked for logins too


def test_two_confirmations_of_one_link_at_once_set_one_password(smtp):
    register()
    APIClient().post(RESET, {"email": "ana@example.com"})
    token = reset_link(smtp, "ana@example.com")
    barrier = threading.Barrier(2)
    answers = {}

    def confirm(password):
        try:
            barrier.wait()
            answers[password] = APIClient().post(CONFIRM, {"token": token, "password": password}).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(p,)) for p in (NEW_PASSWORD, "Another-Pass-991")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers.values()) == [204, 400]
    winner = next(p for p, status in answers.items() if status == 204)
    assert login("ana@example.com", winner).status_code == 200
    assert len([m for m in smtp.to("ana@example.com") if m.subject == "Your FlowMart password was changed"]) == 1


def test_the_reset_email_speaks_the_customers_language(smtp):
    client = register()
    assert client.patch(ME, {"locale": "de"}).status_code == 200

    APIClient().post(RESET, {"email": "ana@example.com"})

    [mail] = [m for m in smtp.to("ana@example.com") if "Passwort" in m.subject]
    assert mail.subject == "Ihr FlowMart-Passwort zurücksetzen"
    assert "Der Link funktioniert einmal, 60 Minuten lang." in mail.part("text/plain")
    assert LINK.search(mail.part("text/plain"))
