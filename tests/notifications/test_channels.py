"""SMS through the Twilio SDK and Web Push through pywebpush, at local fakes; preferences
decide the channels; a channel without credentials records `suppressed` and says why;
provider errors are retried with backoff kept in the database, then `failed`."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flowmart.contracts.common import SkuQuantity
from flowmart.notifications.models import Message, PushSubscription
from flowmart.notifications.services import preferences, push, sending
from tests.support.contract_events import payment_processed, shipment_created, shipment_dispatched

from .conftest import contact, order_confirmed

pytestmark = pytest.mark.django_db
TRACKING = "https://track.flowpost.example/parcels/PO1"


@pytest.fixture
def shopper(emit):
    """A customer with a phone number who said yes to SMS, and an order."""
    order = order_confirmed()
    emit(contact(order.customer_id, order.customer_email, phone="+15555550100"), order)
    preferences.update(order.customer_id, email=True, sms=True, push=True)
    return order


def dispatch(emit, order, shipment_id=41):
    lines = (SkuQuantity(sku="MUG-RED", quantity=2),)
    emit(shipment_created(order, shipment_id, lines, tracking_number="PO1", tracking_url=TRACKING))
    emit(shipment_dispatched(order, shipment_id, lines))


def rows(order, type_name="shipment_dispatched"):
    return {m.channel: m for m in Message.objects.filter(customer_id=order.customer_id, message_type=type_name)}


def test_sms_goes_through_the_twilio_sdk_with_the_tracking_link(emit, shopper, providers):
    dispatch(emit, shopper)
    [sms] = providers.twilio.messages
    assert sms["To"] == "+15555550100" and sms["From"] == providers.twilio.FROM
    assert sms["Body"] == f"FlowMart: order {shopper.order_number} has shipped. Track it: {TRACKING}"
    row = rows(shopper)["sms"]
    assert (row.status, row.provider_message_id) == ("sent", sms["sid"])


def test_web_push_is_encrypted_for_the_browser_and_signed_with_our_vapid_key(emit, shopper, providers):
    browser = providers.push.new_browser()
    sub_json = browser.subscription_json()
    push.register(shopper.customer_id, endpoint=sub_json["endpoint"], **sub_json["keys"])
    dispatch(emit, shopper)
    [delivered] = providers.push.delivered
    assert delivered["endpoint"] == browser.endpoint
    assert delivered["payload"]["title"] == f"Order {shopper.order_number} shipped"
    assert delivered["payload"]["url"] == TRACKING
    assert delivered["ttl"] == "3600"
    assert rows(shopper)["push"].status == "sent"


def test_a_push_subscription_the_service_says_is_gone_is_dropped_and_never_retried(emit, shopper, providers):
    browser = providers.push.new_browser()
    sub_json = browser.subscription_json()
    sub, _ = push.register(shopper.customer_id, endpoint=sub_json["endpoint"], **sub_json["keys"])
    providers.push.gone.add(browser.endpoint)
    dispatch(emit, shopper)
    row = rows(shopper)["push"]
    assert row.status == "failed" and "410" in row.error
    sub.refresh_from_db()
    assert not sub.active and sub.gone_at is not None
    assert not PushSubscription.objects.filter(customer_id=shopper.customer_id, active=True).exists()


def test_preferences_choose_the_channels_of_non_essential_messages(emit, shopper, providers):
    preferences.update(shopper.customer_id, email=False, sms=True, push=False)
    dispatch(emit, shopper)
    assert set(rows(shopper)) == {"sms"}
    assert providers.smtp.to(shopper.customer_email) == []


def test_a_category_switched_off_silences_it_everywhere_but_order_mail_still_goes(emit, shopper, providers):
    preferences.update(shopper.customer_id, email=True, sms=True, push=True, categories={"shipping": False})
    dispatch(emit, shopper)
    assert rows(shopper) == {}
    preferences.update(shopper.customer_id, email=False, sms=False, push=False)
    emit(payment_processed(shopper, payment_id=1, amount="52.50"))
    assert set(rows(shopper, "order_confirmation")) == {"email"}  # order email always goes
    assert len(providers.smtp.to(shopper.customer_email)) == 1


def test_channels_without_credentials_record_suppressed_with_the_reason(emit, shopper, providers, settings):
    settings.TWILIO = {**settings.TWILIO, "ACCOUNT_SID": "", "AUTH_TOKEN": ""}
    settings.WEBPUSH = {**settings.WEBPUSH, "VAPID_PRIVATE_KEY": ""}
    browser = providers.push.new_browser().subscription_json()
    push.register(shopper.customer_id, endpoint=browser["endpoint"], **browser["keys"])
    dispatch(emit, shopper)
    found = rows(shopper)
    assert found["sms"].status == "suppressed" and "TWILIO_ACCOUNT_SID" in found["sms"].suppressed_reason
    assert found["push"].status == "suppressed" and "WEBPUSH_VAPID_PRIVATE_KEY" in found["push"].suppressed_reason
    assert found["sms"].sent_at is None and providers.twilio.messages == [] and providers.push.delivered == []
    assert found["email"].status == "sent"


def test_sms_opted_in_without_a_phone_number_is_suppressed(emit, providers):
    order = order_confirmed()
    emit(contact(order.customer_id, order.customer_email, phone=""), order)
    preferences.update(order.customer_id, email=True, sms=True, push=False)
    dispatch(emit, order)
    row = rows(order)["sms"]
    assert (row.status, row.suppressed_reason) == ("suppressed", "no phone number on the profile")


def test_the_console_backend_is_not_delivery(emit, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    order = order_confirmed()
    emit(
        order,
        payment_processed(order, payment_id=1, amount="1"),
    )
    row = Message.objects.get(customer_id=order.customer_id)
    assert row.status == "suppressed" and "console backend" in row.suppressed_reason


def test_a_refused_number_fails_at_once_with_twilios_error(emit, providers):
    order = order_confirmed()
    emit(contact(order.customer_id, order.customer_email, phone="+19995550100"), order)
    preferences.update(order.customer_id, email=False, sms=True, push=False)
    dispatch(emit, order)
    row = rows(order)["sms"]
    assert row.status == "failed" and row.attempts == 1
    assert "Twilio 400 (code 21211)" in row.error


def due_now(message):
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_provider_errors_are_retried_with_backoff_from_the_database(
    emit, shopper, providers, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "BACKOFF_BASE_SECONDS": 30.0}
    providers.smtp.temporary_failures = 2
    providers.twilio.server_errors = 1
    before = timezone.now()
    dispatch(emit, shopper)
    email, sms = rows(shopper)["email"], rows(shopper)["sms"]
    assert (email.status, email.attempts) == ("pending", 1) and "451" in email.error
    assert (sms.status, sms.attempts) == ("pending", 1) and "503" in sms.error
    assert email.next_attempt_at >= before + timedelta(seconds=27)  # 30 s ± 10 %

    with django_capture_on_commit_callbacks(execute=True):
        assert sending.sweep()["requeued"] == 0  # not due yet: the sweep leaves them alone
    for row in (email, sms):
        due_now(row)
    with django_capture_on_commit_callbacks(execute=True):
        assert sending.sweep()["requeued"] == 2
    email.refresh_from_db()
    sms.refresh_from_db()
    assert (email.status, email.attempts) == ("pending", 2)  # the second 451
    assert (sms.status, sms.attempts) == ("sent", 2)
    assert email.next_attempt_at >= timezone.now() + timedelta(seconds=50)  # 60 s ± 10 %: doubled
    due_now(email)
    with django_capture_on_commit_callbacks(execute=True):
        sending.sweep()
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 3)
    assert len(providers.smtp.to(shopper.customer_email)) == 1


def test_after_the_last_attempt_a_message_is_failed_with_its_error(
    emit, shopper, providers, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "MAX_ATTEMPTS": 2}
    providers.smtp.temporary_failures = 5
    dispatch(emit, shopper)
    email = rows(shopper)["email"]
    due_now(email)
    with django_capture_on_commit_callbacks(execute=True):
        sending.sweep()
    email.refresh_from_db()
    assert email.status == "failed" and email.attempts == 2
    assert email.error.startswith("after 2 attempts: SMTPDataError") and "451" in email.error


def test_a_refused_mailbox_fails_at_once(emit, providers):
    order = order_confirmed(email="nobody@example.com")
    providers.smtp.refuse.add("nobody@example.com")
    emit(
        order,
        payment_processed(order, payment_id=1, amount="1"),
    )
    row = Message.objects.get(customer_id=order.customer_id)
    assert row.status == "failed" and "550" in row.error and "nobody@example.com" not in row.error


def test_a_claim_whose_worker_died_is_failed_for_ops_not_resent_blindly(emit, shopper, providers, settings):
    dispatch(emit, shopper)
    row = rows(shopper)["email"]
    Message.objects.filter(pk=row.pk).update(status="sending", claimed_at=timezone.now() - timedelta(hours=1))
    assert sending.sweep()["lost"] == 1
    row.refresh_from_db()
    assert row.status == "failed" and "resend it from the admin" in row.error
    assert sending.send(row.pk) == "skipped"


def test_an_email_service_provider_through_anymail(emit, settings):
    """EMAIL_ESP=postmark: the message goes through django-anymail's Postmark backend (at a local
    fake of Postmark's API), with its text, HTML and unsubscribe headers; the ESP's id is kept."""
    from .fakes import FakePostmark

    fake = FakePostmark().start()
    try:
        settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
        settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": fake.TOKEN, "POSTMARK_API_URL": fake.url + "/"}
        order = order_confirmed()
        emit(
            order,
            payment_processed(order, payment_id=1, amount="52.50"),
        )
        [sent] = fake.sent
        assert sent["To"] == order.customer_email and "$52.50" in sent["TextBody"] and "<html" in sent["HtmlBody"]
        row = Message.objects.get(customer_id=order.customer_id)
        assert (row.status, row.provider_message_id) == ("sent", sent["MessageID"])

        bounced = order_confirmed(email=FakePostmark.INACTIVE)
        emit(
            bounced,
            payment_processed(bounced, payment_id=2, amount="1"),
        )
        refused = Message.objects.get(customer_id=bounced.customer_id)
        assert refused.status == "failed" and "refused by the email provider" in refused.error
    finally:
        fake.stop()


def test_the_environment_selects_the_email_transport():
    """EMAIL_ESP picks anymail's backend for that provider, with ANYMAIL_* as its settings;
    otherwise EMAIL_URL configures SMTP."""
    import subprocess
    import sys

    code = (
        "from django.conf import settings as s;"
        "print(s.EMAIL_BACKEND, s.ANYMAIL.get('POSTMARK_SERVER_TOKEN'), s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS)"
    )

    def settings_under(**env):
        import os

        clean = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "ANYMAIL_"))}
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            env={**clean, "DJANGO_SETTINGS_MODULE": "flowmart.settings", **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip().splitlines()[-1].split()

    assert settings_under(EMAIL_ESP="postmark", ANYMAIL_POSTMARK_SERVER_TOKEN="tok")[:2] == [
        "anymail.backends.postmark.EmailBackend",
        "tok",
    ]
    assert settings_under(EMAIL_URL="smtp+tls://u:p@mail.example.com:587") == [
        "django.core.mail.backends.smtp.EmailBackend",
        "None",
        "mail.example.com",
        "587",
        "True",
    ]
    assert settings_under()[0] == "django.core.mail.backends.console.EmailBackend"


def test_sending_writes_the_message_row_twice_and_never_reads_it_again(emit, shopper, providers):
    """The claim's UPDATE … RETURNING brings the row the provider needs (issue 15): a receipt
    costs the claim and the outcome, no SELECT of the message between them."""
    dispatch(emit, shopper)
    row = rows(shopper)["email"]
    Message.objects.filter(pk=row.pk).update(status="pending")
    with CaptureQueriesContext(connection) as captured:
        assert sending.send(row.pk) == "sent"
    touching = [q["sql"] for q in captured.captured_queries if '"notifications_message"' in q["sql"]]
    assert len(touching) == 2 and all(sql.startswith("UPDATE") for sql in touching), touching
    row.refresh_from_db()
    assert row.attempts == 2 and row.claimed_at is not None and row.subject
