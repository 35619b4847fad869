"""Operations act on an order from its admin page: cancel, refund (amount or lines, once per
submit), release a dispute hold; each recorded with who, when and why; the page reads well."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from flowmart.common import roles
from flowmart.common.money import Money
from flowmart.contracts.payments import PaymentDisputed, PaymentRefunded
from flowmart.orders.models import Order, StaffAction
from flowmart.orders.services import staff

from .conftest import payment, reserved
from .test_saga import published

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer, shop, place):
    return place(customer, {"MUG-1": 2, "TEE-1": 1})


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ops(make_staff):
    return logged_in(make_staff(email="ops@flowmart.test").user)


def token_of(page) -> str:
    return re.search(r'name="token" value="([0-9a-f]+)"', page.content.decode()).group(1)


def paid(emit, order_id):
    emit(reserved(order_id), payment(order_id, amount=str(Order.objects.get(pk=order_id).total)))


def test_a_partial_refund_submitted_twice_refunds_once(ops, order, emit):
    paid(emit, order)
    url = f"/admin/orders/order/{order}/refund/"
    form = {"token": token_of(ops.get(url)), "amount": "5.00", "reason": "scratched mug"}
    for _ in range(2):
        assert ops.post(url, form).status_code == 302
    asked = published("RefundRequested", order_id=order)
    assert len(asked) == 1 and Decimal(asked[0]["amount"]["amount"]) == 5
    action = StaffAction.objects.get(order_id=order)
    assert (action.kind, action.staff, action.reason, action.amount) == (
        "refund",
        "ops@flowmart.test",
        "scratched mug",
        5,
    )
    page = ops.get(f"/admin/orders/order/{order}/change/").content.decode()
    assert "ops@flowmart.test" in page and "scratched mug" in page and "$5.00" in page


def test_a_refund_per_line_is_the_paid_share_of_those_units(ops, order, emit):
    paid(emit, order)
    placed = Order.objects.get(pk=order)
    mug = placed.lines.get(sku="MUG-1")
    url = f"/admin/orders/order/{order}/refund/"
    form = {"token": token_of(ops.get(url)), "reason": "one mug broken", f"line_{mug.pk}": "1"}
    assert ops.post(url, form).status_code == 302
    expected = (mug.unit_price * 2 - mug.discount + mug.tax) / 2
    assert Decimal(published("RefundRequested", order_id=order)[0]["amount"]["amount"]) == Money(expected, "USD").amount


def test_a_refund_cannot_exceed_what_is_left_and_counts_pending_ones(ops, order, emit):
    paid(emit, order)
    total = Order.objects.get(pk=order).total
    staff.refund(order, staff="ops@x", reason="goodwill", token="t1", amount=total - 1)
    url = f"/admin/orders/order/{order}/refund/"
    response = ops.post(url, {"token": "t2", "amount": "2.00", "reason": "more"})
    assert response.status_code == 200 and "at most $1.00" in response.content.decode()
    emit(
        PaymentRefunded(
            order_id=order,
            payment_id=1,
            refund_id=1,
            amount=Money(total - 1, "USD"),
            reason="operations",
            reference="staff-t1",
        )
    )
    assert StaffAction.objects.get(token="t1").settled
    assert staff.refundable(Order.objects.get(pk=order)) == Decimal("1.000")


def test_cancel_with_a_reason_is_recorded_and_acts_once(ops, order):
    url = f"/admin/orders/order/{order}/cancel/"
    form = {"token": token_of(ops.get(url)), "reason": "customer phoned"}
    assert ops.post(url, form).status_code == 302
    assert ops.post(url, form).status_code == 302
    placed = Order.objects.get(pk=order)
    assert (placed.status, placed.cancellation_reason) == ("cancelled", "operations")
    assert len(published("OrderCancelled", order_id=order)) == 1
    assert StaffAction.objects.get(order_id=order).reason == "customer phoned"
    assert ops.post(url, {"reason": "", "token": "x"}).status_code == 200  # a reason is required


def test_release_a_dispute_hold_from_the_page(ops, order, emit):
    paid(emit, order)
    emit(PaymentDisputed(order_id=order, payment_id=1, amount=Money(Decimal("1"), "USD"), reason="fraudulent"))
    url = f"/admin/orders/order/{order}/release-hold/"
    assert ops.post(url, {"token": "r1", "reason": "bank ruled for us"}).status_code == 302
    assert Order.objects.get(pk=order).status == "paid"
    assert StaffAction.objects.get(token="r1").kind == "release_hold"


def test_seller_staff_and_customers_cannot_use_the_buttons(order, make_staff, customer):
    seller = logged_in(make_staff(roles.SELLER_STAFF, email="s@x.test").user)
    assert seller.post(f"/admin/orders/order/{order}/refund/", {"token": "a", "reason": "x"}).status_code == 403
    assert seller.get(f"/admin/orders/order/{order}/change/").status_code == 403
    assert not StaffAction.objects.exists()


def test_the_order_page_reads_like_an_invoice(ops, order, emit):
    paid(emit, order)
    page = ops.get(f"/admin/orders/order/{order}/change/").content.decode()
    placed = Order.objects.get(pk=order)
    assert f"${placed.total:,.2f}" in page and str(placed.total) not in page  # two decimals, a symbol
    assert "Germany" in page and "Berlin" in page  # the address as an address
    assert 'data-status="paid"' in page  # a badge
    assert "<b>OrderConfirmed</b>" in page and "<b>PaymentProcessed</b>" in page  # the event story, by name
    listing = ops.get("/admin/orders/order/").content.decode()
    assert 'data-status="paid"' in listing and f"${placed.total:,.2f}" in listing


def test_orders_keeps_which_skus_each_parcel_holds(order, emit):
    from flowmart.contracts.common import SkuQuantity
    from flowmart.contracts.shipping import ShipmentCreated
    from flowmart.orders.models import OrderShipment

    paid(emit, order)
    lines = (SkuQuantity(sku="TEE-1", quantity=1), SkuQuantity(sku="MUG-1", quantity=2))
    emit(ShipmentCreated(shipment_id=77, order_id=order, warehouse_code="US-EAST", carrier="postal",
                         method="standard", tracking_number="TRK77", lines=lines))  # fmt: skip
    assert OrderShipment.objects.get(shipment_id=77).skus == ["MUG-1", "TEE-1"]


def test_resend_a_notification_asks_which_message_and_why(ops, order):
    url = f"/admin/orders/order/{order}/resend-notification/"
    assert 'value="shipment_dispatched"' in ops.get(url).content.decode()  # the order's messages to choose from
    assert ops.post(url, {"token": "r1", "message_type": "password_reset", "reason": "x"}).status_code == 200
    assert ops.post(url, {"token": "r1", "message_type": "order_confirmation", "reason": " "}).status_code == 200
    assert not StaffAction.objects.exists() and not published("NotificationResendRequested")

    form = {"token": "r1", "message_type": "refund_issued", "reason": "bounced"}
    assert ops.post(url, form).status_code == 302
    assert ops.post(url, form).status_code == 302
    [asked] = published("NotificationResendRequested", order_id=order)
    assert (asked["message_type"], asked["requested_by"], asked["reason"]) == (
        "refund_issued",
        "ops@flowmart.test",
        "bounced",
    )
    action = StaffAction.objects.get(token="r1")
    assert (action.kind, action.detail) == ("resend_notification", {"message_type": "refund_issued"})
    assert asked["staff_user_id"] is not None
