"""Each event tells the customer the right thing: the message, its data, amounts and links,
sent as a real email (text and HTML parts) to a real SMTP server."""

from datetime import UTC, datetime

import pytest

from flowmart.common.money import Money
from flowmart.contracts.common import SkuQuantity
from flowmart.contracts.orders import OrderAmended, OrderLine
from flowmart.contracts.payments import PaymentActionRequired
from flowmart.contracts.shipping import (
    DeliveryFailed,
    ReturnedLine,
    ReturnInitiated,
    ReturnReceived,
    ShipmentInTransit,
)
from flowmart.contracts.subscriptions import (
    SubscriptionRenewalFailed,
    SubscriptionRenewalUpcoming,
    UserSubscriptionCancelled,
    UserSubscriptionStarted,
)
from flowmart.notifications.models import Message
from tests.support.contract_events import (
    order_status_changed,
    payment_processed,
    payment_refunded,
    shipment_created,
    shipment_delivered,
    shipment_dispatched,
)

from .conftest import contact, money, next_id, order_confirmed

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(emit, providers):
    ev = order_confirmed(lines=(("MUG-RED", 2, "20.00"), ("MUG-BLUE", 1, "12.50")), total="52.50")
    emit(contact(ev.customer_id, ev.customer_email, first_name="Ada"), ev)
    return ev


def only_mail(smtp, address):
    received = smtp.to(address)
    assert len(received) == 1, [r.subject for r in received]
    return received[0]


def test_a_paid_order_gets_its_confirmation_and_receipt(emit, order, providers):
    emit(payment_processed(order, payment_id=1))

    mail = only_mail(providers.smtp, order.customer_email)
    assert mail.subject == f"Order {order.order_number} confirmed — receipt for $52.50"
    text, html = mail.part("text/plain"), mail.part("text/html")
    assert "Hi Ada," in text
    assert "2 x Flow Mug — MUG-RED (MUG-RED)  $40.00" in text
    assert "1 x Flow Mug — MUG-BLUE (MUG-BLUE)  $12.50" in text
    assert "Total: $52.50" in text
    assert f"https://www.shop.example.com/account/orders/{order.order_id}/" in text
    assert f'href="https://www.shop.example.com/account/orders/{order.order_id}/"' in html
    assert "<strong>$52.50</strong>" in html
    assert mail.header("List-Unsubscribe") == ""  # an essential message: no unsubscribing from receipts
    row = Message.objects.get(customer_id=order.customer_id, message_type="order_confirmation")
    assert (row.channel, row.status, row.to) == ("email", "sent", order.customer_email)
    assert row.sent_at is not None and row.provider_message_id == mail.message["Message-ID"]
    assert row.subject == mail.subject


def test_a_failed_payment_says_why_and_the_cancellation_is_not_told_twice(emit, order, providers):
    emit(
        payment_processed(order, "failed", payment_id=1, failure_code="insufficient_funds"),
        order_status_changed(order, "cancelled", "awaiting_payment", cancellation_reason="payment_failed"),
    )
    mail = only_mail(providers.smtp, order.customer_email)
    assert mail.subject == f"Payment for order {order.order_number} did not go through"
    assert "the card has insufficient funds" in mail.part("text/plain")
    assert "Nothing was charged and the order has been cancelled" in mail.part("text/plain")


def test_a_payment_failing_because_the_order_expired_is_told_once_as_the_expiry(emit, order, providers):
    emit(
        order_status_changed(order, "cancelled", "awaiting_payment", cancellation_reason="expired"),
        payment_processed(order, "failed", payment_id=1, failure_code="authentication_required"),
    )
    mail = only_mail(providers.smtp, order.customer_email)
    assert "the payment was not completed in time" in mail.part("text/plain")


def test_action_required_carries_the_3ds_link(emit, order, providers):
    url = "https://hooks.stripe.example/3d_secure_2/authenticate/pi_123"
    emit(PaymentActionRequired(order_id=order.order_id, payment_id=1, next_action_url=url))
    mail = only_mail(providers.smtp, order.customer_email)
    assert "Action needed" in mail.subject
    assert f"Confirm the payment: {url}" in mail.part("text/plain")
    assert f'href="{url}"' in mail.part("text/html")


@pytest.mark.parametrize(
    ("reason", "says"),
    [
        ("out_of_stock", "some items sold out before we could reserve them"),
        ("customer_request", "you asked us to cancel it"),
        ("expired", "the payment was not completed in time"),
    ],
)
def test_a_cancelled_order_gives_its_reason(emit, order, providers, reason, says):
    emit(order_status_changed(order, "cancelled", "pending", cancellation_reason=reason))
    mail = only_mail(providers.smtp, order.customer_email)
    assert mail.subject == f"Order {order.order_number} has been cancelled"
    assert f"has been cancelled because {says}." in mail.part("text/plain")


def test_an_amendment_shows_the_new_lines_and_the_difference(emit, order, providers):
    emit(
        OrderAmended(
            order_id=order.order_id,
            amendment_id="am-1",
            changes=(SkuQuantity(sku="MUG-RED", quantity=1),),
            lines=(
                OrderLine(sku="MUG-RED", name="Flow Mug — red", quantity=3, unit_price=money("20.00"), seller_id=7),
                OrderLine(sku="MUG-BLUE", name="Flow Mug — blue", quantity=1, unit_price=money("12.50"), seller_id=7),
            ),
            old_total=money("52.50"),
            new_total=money("72.50"),
        )
    )
    text = only_mail(providers.smtp, order.customer_email).part("text/plain")
    assert "3 x Flow Mug — red (MUG-RED)  $60.00" in text
    assert "The total went from $52.50 to $72.50. We charge the difference of $20.00" in text


@pytest.mark.parametrize(
    ("reason", "says"),
    [
        ("return", "for the items you sent back"),
        ("order_cancelled", "because the order was cancelled"),
        ("order_amended", "after the change to your order"),
    ],
)
def test_a_refund_states_the_amount_and_why(emit, order, providers, reason, says):
    emit(payment_refunded(order, "12.50", refund_id=9, reason=reason))
    mail = only_mail(providers.smtp, order.customer_email)
    assert mail.subject == f"Refund of $12.50 for order {order.order_number}"
    assert says in mail.part("text/plain")


def test_shipping_updates_carry_the_carriers_tracking_link(emit, order, providers):
    tracking = "https://track.flowpost.example/parcels/PO123456789012US"
    lines = (SkuQuantity(sku="MUG-RED", quantity=2),)
    emit(shipment_created(order, 31, lines, tracking_number="PO123456789012US", tracking_url=tracking))
    emit(shipment_dispatched(order, 31, lines))
    emit(ShipmentInTransit(shipment_id=31, order_id=order.order_id, location="Philadelphia hub"))
    emit(DeliveryFailed(shipment_id=31, order_id=order.order_id, reason="nobody at home"))
    emit(shipment_delivered(order, 31))

    mails = {r.subject: r for r in providers.smtp.to(order.customer_email)}
    number = order.order_number
    assert set(mails) == {
        f"Your order {number} is on its way",
        f"Order {number} is in transit",
        f"We could not deliver order {number}",
        f"Order {number} was delivered",
    }
    assert f"Track it: {tracking}" in mails[f"Your order {number} is on its way"].part("text/plain")
    assert f'href="{tracking}"' in mails[f"Your order {number} is on its way"].part("text/html")
    assert "last seen in Philadelphia hub" in mails[f"Order {number} is in transit"].part("text/plain")
    assert ": nobody at home." in mails[f"We could not deliver order {number}"].part("text/plain")


def test_returns_send_the_label_link_and_the_receipt(emit, order, providers):
    emit(
        ReturnInitiated(
            return_id="ret-77",
            order_id=order.order_id,
            lines=(SkuQuantity(sku="MUG-RED", quantity=1),),
            reason="too small",
            carrier="postal",
            tracking_number="PR1",
            label_url="/api/v1/shipping/returns/ret-77/label/",
        ),
        ReturnReceived(
            return_id="ret-77",
            order_id=order.order_id,
            lines=(ReturnedLine(sku="MUG-RED", quantity=1, warehouse_code="US-EAST"),),
        ),
    )
    mails = {r.subject: r for r in providers.smtp.to(order.customer_email)}
    label = mails[f"Your return label for order {order.order_number}"].part("text/plain")
    assert "Return label (PDF): https://shop.example.com/api/v1/shipping/returns/ret-77/label/" in label
    assert f"We received your return for order {order.order_number}" in mails


def test_subscription_lifecycle_messages(emit, providers):
    customer_id, email = next_id(), "subscriber@example.com"
    sub_id = next_id()
    when = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
    emit(
        UserSubscriptionStarted(
            subscription_id=sub_id,
            customer_id=customer_id,
            customer_email=email,
            plan_id=1,
            sku="BEANS-1KG",
            quantity=2,
            provider="dummy",
            payment_method="pm_card_visa",
            plan_name="Beans every 2 weeks",
            interval="week",
            interval_count=2,
            renewal_price=Money("30.60", "USD"),
            next_billing_at=when,
        )
    )
    emit(
        SubscriptionRenewalUpcoming(
            subscription_id=sub_id,
            customer_id=customer_id,
            customer_email=email,
            sku="BEANS-1KG",
            quantity=2,
            renews_at=when,
            amount=Money("30.60", "USD"),
            plan_name="Beans every 2 weeks",
        )
    )
    emit(
        SubscriptionRenewalFailed(
            subscription_id=sub_id,
            customer_id=customer_id,
            customer_email=email,
            cycle=2,
            attempt=1,
            reason="authentication_required",
            action_url="https://pay.example/auth/abc",
        )
    )
    emit(UserSubscriptionCancelled(subscription_id=sub_id, customer_id=customer_id, reason="payment_failed"))

    mails = {r.subject: r.part("text/plain") for r in providers.smtp.to(email)}
    assert (
        "Thank you for subscribing: 2 x Beans every 2 weeks, every 2 weeks."
        in mails["Your subscription to Beans every 2 weeks has started"]
    )
    assert (
        "Each renewal costs $30.60; the next one is billed on March 1, 2030."
        in mails["Your subscription to Beans every 2 weeks has started"]
    )
    upcoming = mails["Your Beans every 2 weeks renews on March 1, 2030"]
    assert "we will charge $30.60" in upcoming
    assert f"https://www.shop.example.com/account/subscriptions/{sub_id}/" in upcoming
    failed = mails["We could not renew your Beans every 2 weeks"]
    assert "your bank asks you to confirm the payment" in failed
    assert "Confirm the payment: https://pay.example/auth/abc" in failed
    # UserSubscriptionCancelled carries no email: the subscription's copy knows where to write.
    assert "because its renewals could not be paid" in mails["Your subscription to Beans every 2 weeks is cancelled"]


def test_a_renewal_skipped_because_the_product_was_retired_is_explained(emit, providers):
    customer_id, email, sub_id = next_id(), "retired@example.com", next_id()
    emit(
        UserSubscriptionStarted(
            subscription_id=sub_id, customer_id=customer_id, customer_email=email, plan_id=1, sku="BEANS-1KG",
            quantity=1, provider="dummy", payment_method="pm_card_visa", plan_name="Beans monthly",
        ),
        SubscriptionRenewalFailed(
            subscription_id=sub_id, customer_id=customer_id, customer_email=email, cycle=3, attempt=1,
            reason="product_retired", action_url=f"https://www.shop.example.com/account/subscriptions/{sub_id}/payment/",
        ),
    )  # fmt: skip
    failed = {r.subject: r.part("text/plain") for r in providers.smtp.to(email)}[
        "We could not renew your Beans monthly"
    ]
    assert "did not go through: the item is no longer sold (you can switch to another variant)." in failed
    assert "We will not try again automatically." in failed


def test_a_changed_email_is_told_to_the_new_and_the_previous_address(emit, providers):
    customer_id = next_id()
    emit(
        contact(
            customer_id,
            "new@example.com",
            phone="+15555550100",
            changed=("email", "phone"),
            previous_email="old@example.com",
        )
    )
    for address in ("new@example.com", "old@example.com"):
        mail = only_mail(providers.smtp, address)
        assert mail.subject == "Your FlowMart contact details were changed"
        assert "mobile number now ends in 0100" in mail.part("text/plain")
    emit(contact(customer_id, "new@example.com", locale="de", changed=("locale",)))
    assert len(providers.smtp.received) == 2  # a new language is no security matter


def test_messages_are_written_in_the_customers_language(emit, order, providers):
    emit(contact(order.customer_id, order.customer_email, first_name="Ada", locale="de", changed=("locale",)))
    emit(payment_processed(order, payment_id=1, amount=Money("1234.50", "EUR")))
    mail = only_mail(providers.smtp, order.customer_email)
    assert (
        mail.subject == f"Bestellung {order.order_number} bestätigt – Beleg über 1.234,50 €"
    )  # email subjects carry a plain space
    assert mail.part("text/plain").startswith("Hallo Ada,")
    assert '<html lang="de">' in mail.part("text/html")


def test_an_event_for_an_order_not_known_yet_is_retried_by_the_dispatcher(emit, providers):
    from flowmart.events.models import Delivery

    order_id = next_id()
    emit(payment_processed(order_id, payment_id=1, amount="5.00"))
    delivery = Delivery.objects.get(event__name="PaymentProcessed", subscriber="notifications.on_payment_processed")
    assert delivery.status == "pending" and "NotYetKnown" in delivery.last_error
    assert not Message.objects.exists()
