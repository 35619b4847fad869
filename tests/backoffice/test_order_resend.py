"""Resend a notification from the order's page, through every context as in production:
the order page's form → orders' StaffAction and NotificationResendRequested (one
transaction) → notifications resends its message about the order as a new message, once."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from flowmart.events.models import OutboxEvent
from flowmart.notifications.models import Message
from flowmart.orders.models import StaffAction

pytestmark = pytest.mark.django_db


def sent_message(order, message_type="order_confirmation", **fields) -> Message:
    """A message notifications sent about the order (its `order` context names it)."""
    return Message.objects.create(
        source_key=f"ev-{order.pk}-{message_type}-{fields.get('channel', 'email')}", recipient_key="customer:99",
        channel="email", message_type=message_type, category="order", customer_id=order.customer_id,
        to=order.customer_email, context={"order": {"id": order.pk, "number": order.number}, "order_url": "/o"},
        subject="Your order", status="sent", sent_at=timezone.now(), **fields,
    )  # fmt: skip


def form_of(client, url) -> dict:
    page = client.get(url).content.decode()
    return {"token": re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)}


def test_operations_resend_an_orders_message_from_its_page(shop, django_capture_on_commit_callbacks):
    order = shop.orders["north"]
    original = sent_message(order)
    sent_message(shop.orders["acme"])  # another order's confirmation is not touched
    page = shop.ops.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    url = f"/admin/orders/order/{order.pk}/resend-notification/"
    assert url in page  # the button on the order page

    form = {**form_of(shop.ops, url), "message_type": "order_confirmation", "reason": "customer lost the email"}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert shop.ops.post(url, form).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert shop.ops.post(url, form).status_code == 302  # a double submit asks once

    assert OutboxEvent.objects.filter(name="NotificationResendRequested").count() == 1
    action = StaffAction.objects.get(order=order)
    assert (action.kind, action.staff, action.reason) == (
        "resend_notification",
        "ops@x.test",
        "customer lost the email",
    )
    resent = Message.objects.get(resend_of__isnull=False)
    assert (resent.resend_of, resent.requested_by, resent.status) == (original, "ops@x.test", "sent")
    assert [m.to for m in mail.outbox] == [["buyer@x.test"]]  # the resend, and nothing else

    page = shop.ops.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "customer lost the email" in page and "Resend a notification" in page and "Order confirmation" in page


def test_seller_staff_cannot_resend(shop):
    order = shop.orders["north"]
    sent_message(order)
    url = f"/admin/orders/order/{order.pk}/resend-notification/"
    answer = shop.north.post(url, {"token": "t", "message_type": "order_confirmation", "reason": "x"})
    assert answer.status_code == 403
    assert not StaffAction.objects.exists() and not OutboxEvent.objects.filter(name="NotificationResendRequested")
