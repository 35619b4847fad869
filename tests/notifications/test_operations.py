"""Operations: fraud reviews and disputes as they happen, dead event deliveries as a digest,
and the admin where ops see every message, a customer's whole history, and resend."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from flowmart.contracts.payments import PaymentDisputed
from flowmart.events.models import Delivery, OutboxEvent
from flowmart.notifications.models import Message
from flowmart.notifications.services import staff_messages
from tests.support.contract_events import payment_held, payment_processed

from .conftest import money, order_confirmed

pytestmark = pytest.mark.django_db


def test_a_payment_held_for_review_alerts_every_ops_address(emit, providers):
    order = order_confirmed()
    emit(order, payment_held(order, payment_id=77, score=72, reasons=("velocity", "new card")))
    for address in ("ops@shop.example.com", "fraud@shop.example.com"):
        [mail] = providers.smtp.to(address)
        assert mail.subject == f"Fraud review waiting: order {order.order_number} (score 72)"
        text = mail.part("text/plain")
        assert "- velocity\n- new card" in text
        assert "Review the payment: https://shop.example.com/admin/payments/payment/77/change/" in text
    assert not Message.objects.filter(customer_id=order.customer_id).exists()


def test_a_dispute_alerts_ops_with_the_amount(emit, providers):
    order = order_confirmed()
    emit(order, PaymentDisputed(order_id=order.order_id, payment_id=78, amount=money("52.50"), reason="fraudulent"))
    [mail] = providers.smtp.to("ops@shop.example.com")
    assert mail.subject == f"Dispute opened: order {order.order_number}, $52.50"


def test_without_ops_addresses_the_alert_is_suppressed_and_says_why(emit, providers, settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "OPS_EMAILS": []}
    emit(payment_held(1, score=60, reasons=("x",)))
    row = Message.objects.get(message_type="fraud_review")
    assert row.status == "suppressed" and "NOTIFICATIONS_OPS_EMAILS" in row.suppressed_reason


def dead_delivery(subscriber="orders.on_payment_processed", error="KeyError: 'order'"):
    event = OutboxEvent.objects.create(
        event_id=uuid.uuid4(),
        name="PaymentProcessed",
        version=1,
        publisher="payments",
        correlation_id=uuid.uuid4().hex,
        occurred_at=timezone.now(),
        payload={},
    )
    return Delivery.objects.create(event=event, subscriber=subscriber, status="dead", attempts=8, last_error=error)


def test_dead_deliveries_are_reported_once_in_a_digest(committed, providers):
    first, second = dead_delivery(), dead_delivery("shipping.create_shipments_when_paid", "boom")
    now = timezone.now()
    assert committed(staff_messages.report_dead_deliveries, now) == 2
    [mail] = providers.smtp.to("ops@shop.example.com")
    assert mail.subject == "2 event deliveries died"
    text = mail.part("text/plain")
    assert f"- #{first.pk} PaymentProcessed -> orders.on_payment_processed after 8 attempts: KeyError: 'order'" in text
    assert f"#{second.pk} PaymentProcessed -> shipping.create_shipments_when_paid" in text
    assert "https://shop.example.com/admin/events/delivery/?status__exact=dead" in text

    third = dead_delivery()
    assert committed(staff_messages.report_dead_deliveries, now) == 0  # one report per period
    assert committed(staff_messages.report_dead_deliveries, now + timezone.timedelta(hours=1)) == 1
    latest = providers.smtp.to("ops@shop.example.com")[-1]
    assert latest.subject == "1 event delivery died" and f"#{third.pk}" in latest.part("text/plain")
    assert f"#{first.pk} " not in latest.part("text/plain")


# --- the admin ----------------------------------------------------------------------------


@pytest.fixture
def ops_client(client):
    user = get_user_model().objects.create_user(email="ops-admin@flowmart.local", password="x", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="operations")[0])
    client.force_login(user)
    return client


def test_ops_see_messages_with_errors_and_a_customers_whole_history(emit, ops_client, providers, settings):
    settings.TWILIO = {**settings.TWILIO, "ACCOUNT_SID": ""}
    order = order_confirmed()
    other = order_confirmed()
    emit(order, other)
    emit(payment_processed(order, payment_id=1, amount="1"))
    emit(payment_processed(other, payment_id=2, amount="1"))
    Message.objects.create(
        source_key="x", recipient_key=f"customer:{order.customer_id}", channel="sms", message_type="payment_failed",
        category="payment", customer_id=order.customer_id, to="+15555550100", status="suppressed",
        suppressed_reason="Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)",
    )  # fmt: skip
    changelist = reverse("admin:notifications_message_changelist")
    page = ops_client.get(changelist, {"customer_id": order.customer_id})
    assert page.status_code == 200
    body = page.content.decode()
    assert "order_confirmation" in body and "payment_failed" in body
    assert "Twilio is not configured" in body
    assert other.customer_email not in body
    assert ops_client.get(changelist, {"status__exact": "suppressed"}).status_code == 200
    detail = ops_client.get(reverse("admin:notifications_message_change", args=[Message.objects.first().pk]))
    assert detail.status_code == 200


def test_ops_resend_a_failed_message_as_a_new_one(emit, ops_client, providers, django_capture_on_commit_callbacks):
    order = order_confirmed(email="bounce@example.com")
    providers.smtp.refuse.add("bounce@example.com")
    emit(
        order,
        payment_processed(order, payment_id=1, amount="1"),
    )
    failed = Message.objects.get(status="failed")
    providers.smtp.refuse.clear()

    changelist = reverse("admin:notifications_message_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = ops_client.post(changelist, {"action": "resend", "_selected_action": [failed.pk]}, follow=True)
    assert response.status_code == 200
    resent = Message.objects.get(resend_of=failed)
    assert (resent.status, resent.requested_by, resent.source_key) == (
        "sent",
        "ops-admin@flowmart.local",
        f"resend:{failed.pk}:1",
    )
    assert len(providers.smtp.to("bounce@example.com")) == 1
    failed.refresh_from_db()
    assert failed.status == "failed"  # the original keeps its own story


def test_the_customers_admin_page_links_to_their_message_history(admin_client, make_customer):
    customer = make_customer()
    page = admin_client.get(reverse("admin:customers_user_change", args=[customer.user.pk]))
    assert page.status_code == 200
    assert f'/admin/notifications/message/?customer_id={customer.user.pk}"' in page.content.decode()


def test_staff_who_are_not_operations_see_no_messages(client):
    user = get_user_model().objects.create_user(email="seller-staff@flowmart.local", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:notifications_message_changelist")).status_code == 403
