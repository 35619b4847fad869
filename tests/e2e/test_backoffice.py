"""The back office as people use it, in Chromium: a seller works on their own orders and
stock (and nothing else); operations refund part of an order, clear a fraud review and
resend an order's confirmation."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from flowmart.inventory.models import StockLevel, StockMovement
from flowmart.notifications.models import Message
from flowmart.orders.models import Order, StaffAction
from flowmart.payments.models import FraudAssessment, Payment, Refund
from tests.flows.conftest import RELAXED_FRAUD, checkout, register

pytestmark = pytest.mark.e2e


def test_a_seller_sees_only_their_orders_and_stock_imports_stock_and_cannot_open_another_sellers_product(
    market, sign_in, live_server, tmp_path
):
    own = Order.objects.get(pk=checkout(register(), {"KETTLE-1": 1})["order_id"])
    other = Order.objects.get(pk=checkout(register(), {"ACME-1": 1})["order_id"])
    page = sign_in("staff@kettle-and-co.test")
    expect(page.locator("#dashboard")).to_contain_text("Sales per day, last 30 days")

    page.goto(f"{live_server.url}/admin/orders/orderline/")
    expect(page.locator("#result_list")).to_contain_text(own.number)
    expect(page.locator("#result_list")).not_to_contain_text(other.number)

    page.goto(f"{live_server.url}/admin/inventory/stocklevel/")
    expect(page.locator("#result_list")).to_contain_text("KETTLE-1")
    expect(page.locator("#result_list")).not_to_contain_text("ACME-1")

    csv = tmp_path / "stock.csv"
    csv.write_text("sku,warehouse,receive,adjust,reason\nKETTLE-1,US-EAST,7,,pallet 12 arrived\n")
    page.goto(f"{live_server.url}/admin/inventory/stocklevel/import/")
    page.set_input_files("input[name=import_file]", str(csv))
    page.select_option("select[name=format]", label="csv")
    page.locator("form input[type=submit], form button[type=submit]").last.click()
    expect(page.locator("body")).to_contain_text("pallet 12 arrived")  # the preview, row by row
    assert StockLevel.objects.get(sku="KETTLE-1").on_hand == 10  # nothing applied before confirming
    page.locator("form[action$='process_import/'] [type=submit]").click()
    expect(page.locator("body")).to_contain_text("Import finished")
    assert StockLevel.objects.get(sku="KETTLE-1").on_hand == 17
    assert StockMovement.objects.filter(sku="KETTLE-1", reason="pallet 12 arrived").exists()

    response = page.goto(f"{live_server.url}/admin/catalog/product/{market.products['acme'].pk}/change/")
    assert response.status == 404


def test_operations_refund_part_of_an_order_and_approve_a_fraud_review(market, sign_in, live_server, settings):
    paid = {"id": checkout(register(), {"KETTLE-1": 2})["order_id"]}
    page = sign_in("ops@flowmart.test")
    page.goto(f"{live_server.url}/admin/orders/order/{paid['id']}/change/")
    expect(page.locator("body")).to_contain_text("$")  # money with its symbol
    page.click("text=Refund…")
    page.fill("input[name=amount]", "5.00")
    page.fill("textarea[name=reason]", "dented lid")
    page.click("input[name=_confirm]")
    expect(page.locator("body")).to_contain_text("dented lid")
    expect(page.locator("body")).to_contain_text("ops@flowmart.test")
    action = StaffAction.objects.get(order_id=paid["id"])
    assert (action.kind, action.amount) == ("refund", Decimal("5.00"))
    assert Refund.objects.filter(payment__order_id=paid["id"], amount=Decimal("5.00")).count() == 1
    assert Order.objects.get(pk=paid["id"]).payment_status == "partially_refunded"

    settings.PAYMENTS_FRAUD = {**RELAXED_FRAUD, "REVIEW_SCORE": 40, "NEW_ACCOUNT_MAX_AMOUNT": "1.00"}
    held = {"id": checkout(register(), {"ACME-1": 1})["order_id"]}
    payment = Payment.objects.get(order_id=held["id"])
    assert payment.status == Payment.Status.ON_HOLD
    page.goto(f"{live_server.url}/admin/payments/paymentunderreview/")
    page.click(f"a[href$='/{payment.pk}/review/']")
    expect(page.locator("#fraud-rules")).to_contain_text("new_account_high_value")
    page.select_option("select[name=decision]", "approve")
    page.fill("textarea[name=reason]", "called the customer")
    page.click("#review-form [type=submit]")
    expect(page.locator("body")).to_contain_text("approved")
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.SUCCEEDED
    decided = FraudAssessment.objects.filter(payment=payment).latest("id")
    assert (decided.review_decision, decided.decision_reason) == ("approved", "called the customer")


def test_operations_resend_an_orders_confirmation_from_its_page(market, sign_in, live_server):
    order_id = checkout(register(), {"KETTLE-1": 1})["order_id"]
    original = Message.objects.get(message_type="order_confirmation", context__order__id=order_id, channel="email")
    page = sign_in("ops@flowmart.test")
    page.goto(f"{live_server.url}/admin/orders/order/{order_id}/change/")
    page.click("text=Resend a notification…")
    page.select_option("select[name=message_type]", "order_confirmation")
    page.fill("textarea[name=reason]", "customer lost the email")
    page.click("input[name=_confirm]")
    expect(page.locator("body")).to_contain_text("customer lost the email")  # on the order, with who
    action = StaffAction.objects.get(order_id=order_id)
    assert (action.kind, action.staff) == ("resend_notification", "ops@flowmart.test")
    resent = Message.objects.get(resend_of=original)
    assert (resent.requested_by, resent.status) == ("ops@flowmart.test", "sent")
