"""Notifications in the whole shop: a customer checks out through the API and hears about
each step by email (real SMTP), SMS (Twilio SDK) and Web Push (pywebpush) at local fakes,
first in-process (eager) with every log line captured, then through a real Celery worker."""

import logging
import uuid

import pytest
from rest_framework.test import APIClient

from flowmart.celery import app
from flowmart.notifications.models import Message
from flowmart.notifications.vapid import generate
from tests.notifications.fakes import FakePushService, FakeTwilio, SmtpServer
from tests.support.worker import CeleryWorker, wait_until

from .conftest import carrier_update, checkout, order

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Buyer-pass-123-secret"
FAKES_LOGGERS = ("mail.log",)  # the fake SMTP server's own log: it is the receiving end, it reads the mail


@pytest.fixture
def fakes():
    smtp, twilio = SmtpServer().start(), FakeTwilio().start()
    private, public = generate()
    push = FakePushService(public).start()
    yield smtp, twilio, push, private
    for fake in (smtp, twilio, push):
        fake.stop()


@pytest.fixture
def wired(settings, fakes):
    smtp, twilio, push, private = fakes
    for key, value in smtp.settings().items():
        setattr(settings, key, value)
    settings.TWILIO = twilio.settings()
    settings.WEBPUSH = push.settings(private)
    settings.PUBLIC_BASE_URL = "https://shop.example.com"
    return fakes


def sign_up(push: FakePushService):
    """Register through the API, add a phone number, say yes to SMS, subscribe a browser."""
    client = APIClient()
    email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    token = client.post("/api/v1/auth/register/", {"email": email, "password": PASSWORD, "first_name": "Ada"}).json()[
        "token"
    ]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.patch("/api/v1/me/", {"phone": "+15555550142"}).status_code == 200
    assert (
        client.put("/api/v1/me/notification-preferences/", {"email": True, "sms": True, "push": True}).status_code
        == 200
    )
    browser = push.new_browser()
    assert client.post("/api/v1/me/push-subscriptions/", browser.subscription_json()).status_code == 201
    return client, email, token, browser


def secrets_in(text: str, secrets: dict) -> list[str]:
    return [name for name, value in secrets.items() if value and value in text]


@pytest.fixture
def every_log_line(caplog):
    """Every logger at DEBUG for the test (libraries included), restored afterwards."""
    caplog.set_level(logging.DEBUG)  # first: caplog restores the root level it finds now
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)] + [logging.root]
    levels = {lg: lg.level for lg in loggers}
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    yield caplog
    for lg, level in levels.items():
        lg.setLevel(level)


def test_a_customer_hears_about_each_step_and_no_secret_reaches_a_log_line(shop, staff, wired, every_log_line):
    smtp, twilio, push, private = wired
    client, email, token, browser = sign_up(push)
    twilio.server_errors = 1  # the first SMS is retried later: its error is logged too

    [security] = smtp.to(email)  # the new phone number: a security notice
    assert security.subject == "Your FlowMart contact details were changed"
    placed = checkout(client, {"FLOW-RED": 2})
    assert placed["status"] == "paid"
    [_, confirmation] = smtp.to(email)
    assert confirmation.subject.startswith(f"Order {order(client, placed['order_id'])['number']} confirmed")
    assert "Total: " in confirmation.part("text/plain")

    [shipment] = order(client, placed["order_id"])["shipments"]
    assert staff.post(f"/api/v1/shipping/shipments/{shipment['id']}/dispatch/").status_code == 200
    carrier_update(shipment, "in_transit", location="Newark hub")
    carrier_update(shipment, "delivered")
    tracking = f"https://track.flowpost.example/parcels/{shipment['tracking_number']}"
    subjects = [m.subject for m in smtp.to(email)]
    assert len(subjects) == 5 and any("is on its way" in s for s in subjects)
    dispatched = next(m for m in smtp.to(email) if "is on its way" in m.subject)
    assert f"Track it: {tracking}" in dispatched.part("text/plain")
    assert [m["Body"] for m in twilio.messages][
        -1
    ] == f"FlowMart: your parcel for order {order(client, placed['order_id'])['number']} was delivered."
    assert {p["payload"]["title"] for p in push.delivered} >= {"Delivered", "Parcel in transit"}

    declined = checkout(client, {"FLOW-RED": 1}, payment_method="pm_card_chargeDeclined")
    assert order(client, declined["order_id"])["status"] == "cancelled"
    assert any("did not go through" in m.subject for m in smtp.to(email))
    auth = checkout(client, {"FLOW-RED": 1}, payment_method="pm_card_authenticationRequired")
    action = next(m for m in smtp.to(email) if m.subject.startswith("Action needed"))
    assert "/dummy-provider/authenticate/dpi_" in action.part("text/plain")  # the dummy's own 3-D Secure page
    assert order(client, auth["order_id"])["status"] == "awaiting_payment"
    card = "4242424242424242"
    client.post("/api/v1/checkout/", {"cart_id": 1, "payment": {"provider": "dummy", "payment_method": card}},
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)  # fmt: skip

    history = client.get("/api/v1/notifications/?page_size=100").json()
    me = client.get("/api/v1/me/").json()["id"]
    assert history["count"] == Message.objects.filter(customer_id=me).count() >= 10
    templates = {m["template"] for m in history["results"]}
    assert {"order_confirmation", "shipment_dispatched", "shipment_delivered", "payment_failed"} <= templates

    unsubscribe = dispatched.header("List-Unsubscribe")[1:-1]
    secrets = {
        "password": PASSWORD,
        "api token": token,
        "smtp password": SmtpServer.PASSWORD,
        "twilio token": FakeTwilio.AUTH_TOKEN,
        "vapid private key": private,
        "push auth secret": browser.subscription_json()["keys"]["auth"],
        "unsubscribe token": unsubscribe.rstrip("/").rsplit("/", 1)[1],
        "card number": card,
    }
    ours = [r for r in every_log_line.records if not r.name.startswith(FAKES_LOGGERS)]
    lines = "\n".join(every_log_line.handler.format(r) for r in ours)
    assert len(ours) > 100, "hardly anything was logged: the capture is not working"
    assert secrets_in(lines, secrets) == []


@pytest.mark.worker
def test_messages_go_out_from_a_real_worker_once(shop, staff, wired):
    smtp, twilio, push, private = wired
    env = {**smtp.env(), **twilio.env(), **push.env(private), "PUBLIC_BASE_URL": "https://shop.example.com"}
    with CeleryWorker(extra_env=env) as worker:
        app.conf.task_always_eager = False
        try:
            client, email, token, browser = sign_up(push)
            placed = checkout(client, {"FLOW-RED": 1})
            wait_until(lambda: order(client, placed["order_id"])["status"] == "paid", timeout=30)
            wait_until(lambda: len(smtp.to(email)) == 2, timeout=30)  # the phone-change notice, the receipt
            wait_until(lambda: order(client, placed["order_id"])["shipments"], timeout=30)
            [shipment] = order(client, placed["order_id"])["shipments"]
            assert staff.post(f"/api/v1/shipping/shipments/{shipment['id']}/dispatch/").status_code == 200
            wait_until(lambda: len(smtp.to(email)) == 3 and twilio.messages and len(push.delivered) == 2, timeout=30)

            # Redelivered send tasks (a broker hiccup, a duplicate nudge) find nothing left to send.
            ids = list(Message.objects.values_list("pk", flat=True))
            for _ in range(3):
                app.send_task("flowmart.notifications.tasks.send_messages", args=[ids])
            wait_until(lambda: not Message.objects.filter(status__in=["pending", "sending"]).exists(), timeout=30)
            log = worker.log.read_text()
        finally:
            app.conf.task_always_eager = True
    assert len(smtp.to(email)) == 3 and len(twilio.messages) == 1 and len(push.delivered) == 2
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    assert secrets_in(log, {"smtp": SmtpServer.PASSWORD, "twilio": FakeTwilio.AUTH_TOKEN, "vapid": private}) == []
