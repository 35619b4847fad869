"""DELETE /api/v1/me/: the confirmation step, then CustomerErased and every context's own
erasure of its copies (tested per context), with accounting data kept."""

import json

import pytest
from rest_framework.test import APIClient

from flowmart.customers.models import Address, ApiToken, User
from flowmart.events.models import Delivery, OutboxEvent
from flowmart.notifications.models import (
    BackInStockRequest,
    CustomerContact,
    Message,
    OrderCopy,
    Preference,
    PushSubscription,
)
from flowmart.orders.models import Cart, Order
from flowmart.orders.models import CustomerAddress as OrdersAddress
from flowmart.payments.models import FraudAssessment, LedgerEntry, Payment, SavedPaymentMethod
from flowmart.shipping.models import Shipment, ShippingOrder
from flowmart.subscriptions.models import CustomerAddress as SubscriptionsAddress
from flowmart.subscriptions.models import Subscription

from .conftest import PASSWORD, checkout

pytestmark = pytest.mark.django_db(transaction=True)

ME = "/api/v1/me/"


def erase(client) -> None:
    asked = client.delete(ME, {"password": PASSWORD}, format="json")
    assert asked.status_code == 202, asked.content
    done = client.delete(ME, {"confirmation": asked.json()["confirmation"]}, format="json")
    assert done.status_code == 204, done.content


def test_erasure_anonymises_every_context_and_keeps_the_accounts(ada, bob):
    ledger_before = list(LedgerEntry.objects.filter(order_id=ada.order_id).values_list("debit", "credit", "account"))
    order_before = Order.objects.get(pk=ada.order_id)
    assert Cart.objects.filter(customer_id=ada.id).exists()
    assert SavedPaymentMethod.objects.filter(customer_id=ada.id).exists()

    erase(ada.client)

    _customers_erased(ada)
    _orders_erased(ada, order_before)
    _payments_erased(ada, ledger_before)
    _shipping_erased(ada)
    _subscriptions_erased(ada)
    _notifications_erased(ada)
    _outbox_redacted(ada, bob)
    _nothing_of_bob_touched(bob)
    assert not Delivery.objects.filter(status="dead").exists()


def _customers_erased(ada):
    user = User.objects.get(pk=ada.id)
    assert user.email == f"erased-{ada.id}@erased.invalid"
    assert (user.first_name, user.last_name, user.phone) == ("", "", "")
    assert not user.is_active and user.erased_at and not user.has_usable_password()
    assert not Address.objects.filter(customer_id=ada.id).exists()
    assert not ApiToken.objects.filter(user_id=ada.id, revoked_at__isnull=True).exists()
    assert ada.client.get(ME).status_code == 401  # the token is revoked
    login = APIClient().post("/api/v1/auth/token/", {"email": ada.email, "password": PASSWORD})
    assert login.status_code == 401
    [erased] = OutboxEvent.objects.filter(name="CustomerErased")
    assert erased.payload["customer_id"] == ada.id and erased.payload["reason"] == "request"
    assert ada.email not in str(erased.payload)  # only a keyed hash of it travels


def _orders_erased(ada, before):
    order = Order.objects.get(pk=ada.order_id)
    assert order.customer_email == f"erased-{ada.id}@erased.invalid"
    assert order.shipping_address["country"] == "US"
    assert {order.shipping_address[f] for f in ("line1", "city", "postal_code", "phone")} == {""}
    assert (order.total, order.tax, order.created_at, order.number) == (
        before.total,
        before.tax,
        before.created_at,
        before.number,
    )
    assert [line.sku for line in order.lines.all()] == ["FLOW-RED"]
    assert not OrdersAddress.objects.filter(customer_id=ada.id).exists()
    assert not Cart.objects.filter(customer_id=ada.id).exists()


def _payments_erased(ada, ledger_before):
    payment = Payment.objects.get(order_id=ada.order_id)
    assert payment.customer_email.endswith("@erased.invalid")
    assert payment.client_ip is None
    assert (payment.card_last4, payment.card_fingerprint, payment.card_brand) == ("", "", "")
    assert payment.captured_amount == payment.amount  # the money story stays
    for assessment in FraudAssessment.objects.filter(payment=payment):
        assert "client_ip" not in assessment.inputs and "card_fingerprint" not in assessment.inputs
        assert "score" not in assessment.inputs and assessment.score is not None
    assert not SavedPaymentMethod.objects.filter(customer_id=ada.id).exists()
    ledger_after = list(LedgerEntry.objects.filter(order_id=ada.order_id).values_list("debit", "credit", "account"))
    assert ledger_after == ledger_before and ledger_after


def _shipping_erased(ada):
    shipping_order = ShippingOrder.objects.get(order_id=ada.order_id)
    assert shipping_order.customer_email.endswith("@erased.invalid")
    assert shipping_order.shipping_address["line1"] == "" and shipping_order.shipping_address["country"] == "US"
    for shipment in Shipment.objects.filter(order_id=ada.order_id):
        assert shipment.destination["line1"] == "" and shipment.destination["name"] == "(erased)"
        assert not shipment.label
        assert shipment.tracking_number and shipment.status == "delivered"


def _subscriptions_erased(ada):
    sub = Subscription.objects.get(pk=ada.subscription_id)
    assert sub.status == "cancelled" and sub.cancellation_reason == "customer_erased"
    assert sub.customer_email.endswith("@erased.invalid") and sub.shipping_address["line1"] == ""
    assert not SubscriptionsAddress.objects.filter(customer_id=ada.id).exists()
    assert OutboxEvent.objects.filter(name="UserSubscriptionCancelled", payload__subscription_id=sub.pk).exists()


def _notifications_erased(ada):
    messages = Message.objects.filter(customer_id=ada.id)
    assert messages.exists()
    assert not messages.exclude(to="").exists() and not messages.exclude(context={}).exists()
    assert not messages.filter(status__in=["pending", "sending"]).exists()
    # the cancellation of the subscription, published after the erasure, was not sent
    assert not messages.filter(status="sent", created_at__gte=User.objects.get(pk=ada.id).erased_at).exists()
    assert not Preference.objects.filter(customer_id=ada.id).exists()
    assert not PushSubscription.objects.filter(customer_id=ada.id).exists()
    assert not BackInStockRequest.objects.filter(customer_id=ada.id).exists()
    assert CustomerContact.objects.get(customer_id=ada.id).email.endswith("@erased.invalid")
    assert not OrderCopy.objects.filter(customer_id=ada.id).exclude(shipping_address={}).exists()


def _outbox_redacted(ada, bob):
    """The outbox (the audit trail) keeps the events, ids and amounts, not the person."""
    events = list(OutboxEvent.objects.all())
    outbox = " ".join(json.dumps(e.payload) for e in events)
    for personal in (ada.email, "12 Ada Street", "+15555550188"):
        assert not [e.payload for e in events if personal in json.dumps(e.payload)], personal
    assert bob.email in outbox and "12 Bob Street" in outbox
    for event in events:
        event.to_event()  # a redacted payload still reads as its contract (pending deliveries, replay)
    confirmed = OutboxEvent.objects.get(name="OrderConfirmed", payload__order_id=ada.order_id)
    assert confirmed.payload["shipping_address"]["country"] == "US"
    assert confirmed.payload["lines"][0]["sku"] == "FLOW-RED"


def _nothing_of_bob_touched(bob):
    assert User.objects.get(pk=bob.id).email == bob.email
    assert Order.objects.get(pk=bob.order_id).shipping_address["line1"] == "12 Bob Street"
    assert Payment.objects.get(order_id=bob.order_id).customer_email == bob.email
    assert Subscription.objects.get(pk=bob.subscription_id).status == "active"
    assert PushSubscription.objects.filter(customer_id=bob.id).exists()
    assert Message.objects.filter(customer_id=bob.id).exclude(to="").exists()
    assert OrdersAddress.objects.filter(customer_id=bob.id).exists()
    assert bob.client.get(ME).status_code == 200


def test_an_order_in_flight_makes_the_erasure_wait(ada, staff):
    placed = checkout(ada.client, {"FLOW-RED": 1})
    assert placed["status"] == "paid"  # paid, not shipped yet
    refused = ada.client.delete(ME, {"password": PASSWORD}, format="json")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "erasure_blocked" and "orders" in error["blockers"]
    assert User.objects.get(pk=ada.id).is_active
    assert not OutboxEvent.objects.filter(name="CustomerErased").exists()
