"""NotificationResendRequested (operations, from the order's page): notifications sends its
latest message of that type about the order again, as a new message through the resend
service, once per request however often the event is delivered."""

import pytest
from django.db import transaction

from flowmart.contracts.orders import ORDER_MESSAGE_TYPES, NotificationResendRequested
from flowmart.contracts.payments import PaymentProcessed
from flowmart.notifications import handlers
from flowmart.notifications.catalogue import CUSTOMER, MESSAGE_TYPES
from flowmart.notifications.models import Message

from .conftest import money, order_confirmed

pytestmark = pytest.mark.django_db


def asked(order_id, message_type="order_confirmation", reason="customer lost it"):
    return NotificationResendRequested(
        order_id=order_id, message_type=message_type, requested_by="ops@flowmart.local", staff_user_id=1, reason=reason
    )


@pytest.fixture
def confirmed(emit, providers):
    """Two orders, each with its confirmation sent by email."""
    orders = [order_confirmed(), order_confirmed()]
    for order in orders:
        paid = PaymentProcessed(
            order_id=order.order_id, payment_id=1, status="succeeded", amount=money("1"), provider="dummy"
        )
        emit(order, paid)
    assert Message.objects.filter(message_type="order_confirmation", status="sent", channel="email").count() == 2
    return orders


def test_the_orders_latest_message_of_that_type_is_sent_again_as_a_new_message(confirmed, emit, providers):
    order, other = confirmed
    original = Message.objects.get(message_type="order_confirmation", customer_id=order.customer_id, channel="email")
    request = asked(order.order_id)
    emit(request)
    resent = Message.objects.get(resend_of__isnull=False)
    assert (resent.resend_of, resent.requested_by, resent.status, resent.to) == (
        original,
        "ops@flowmart.local",
        "sent",
        order.customer_email,
    )
    assert resent.source_key == f"resend:{original.pk}:{request.event_id}"
    assert len(providers.smtp.to(order.customer_email)) == 2 and len(providers.smtp.to(other.customer_email)) == 1


def test_a_redelivered_request_resends_nothing_more(confirmed, emit, providers):
    order, _ = confirmed
    request = asked(order.order_id)
    emit(request)
    with transaction.atomic():
        handlers.on_resend_requested(request)  # the same event again (a redelivery or a replay)
    assert Message.objects.filter(resend_of__isnull=False).count() == 1
    asked_again = asked(order.order_id, reason="lost it again")
    emit(asked_again)  # a new request is a new resend
    assert Message.objects.filter(resend_of__isnull=False).count() == 2


def test_a_type_the_order_never_had_resends_nothing(confirmed, emit, caplog):
    order, _ = confirmed
    emit(asked(order.order_id, "refund_issued"))
    assert not Message.objects.filter(resend_of__isnull=False).exists()
    assert "no refund_issued message to resend" in caplog.text


def test_every_message_orders_offers_is_a_customer_message_of_the_catalogue():
    for name, _label in ORDER_MESSAGE_TYPES:
        assert name in MESSAGE_TYPES and MESSAGE_TYPES[name].audience == CUSTOMER, name


def test_notifications_subscribes_to_the_request():
    assert handlers.SUBSCRIBERS[NotificationResendRequested] == [handlers.on_resend_requested]
