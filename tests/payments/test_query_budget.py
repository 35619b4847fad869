"""Statements per delivery of payments' checkout subscribers (issue 15): each handler is run
as the dispatcher runs it, inside a transaction, and its own SQL is counted. The outbox rows
of what it publishes are the dispatcher's (counted by the events tests) and left out here, so
these budgets move only when payments' own work does."""

from decimal import Decimal

import pytest
from django.db import transaction

from flowmart.contracts.payments import PaymentProcessed
from flowmart.events.models import OutboxEvent
from flowmart.payments import handlers, ledger, settlement_handlers
from flowmart.payments.models import LedgerEntry, Payment, SellerAccount
from tests.support.statements import budget, own_statements

from .helpers import initiated, reserved
from .settlement_helpers import confirmed, line

pytestmark = pytest.mark.django_db

# Before issue 15, counted the same way (the outbox's inserts left out): 34 for hold_payment_request
# charging a reserved order, 15 for settle_confirmed_lines, 9 for settle_capture.
HOLD_PAYMENT_REQUEST = 9
NOTE_STOCK_RESERVED = 9
SETTLE_CONFIRMED_LINES = 3
SETTLE_CAPTURE = 3


def processed(order_id: int) -> list[dict]:
    return [r.payload for r in OutboxEvent.objects.filter(name="PaymentProcessed", payload__order_id=order_id)]


def test_hold_payment_request_charges_a_reserved_order_in_a_fixed_number_of_statements():
    """The common arrival order of a checkout: stock reserved first, then the payment request,
    whose delivery screens (one velocity query), charges the dummy provider and books it."""
    with transaction.atomic():
        handlers.note_stock_reserved(reserved(701))
    sql = own_statements(lambda: handlers.hold_payment_request(initiated(701)))
    budget(sql, HOLD_PAYMENT_REQUEST)
    assert sum("COUNT(" in s.upper() for s in sql) == 1  # the four velocity counts in one query
    payment = Payment.objects.get(order_id=701)
    assert (payment.status, payment.captured_amount, payment.card_last4) == ("succeeded", Decimal("50.00"), "4242")
    assert [p["status"] for p in processed(701)] == ["succeeded"]
    assert LedgerEntry.objects.filter(order_id=701, kind="capture").count() == 2


def test_note_stock_reserved_charges_a_held_request_in_a_fixed_number_of_statements():
    """The other arrival order: the payment request waits, the reservation charges it."""
    with transaction.atomic():
        handlers.hold_payment_request(initiated(702))
    assert Payment.objects.get(order_id=702).status == "awaiting_stock"
    sql = own_statements(lambda: handlers.note_stock_reserved(reserved(702)))
    budget(sql, NOTE_STOCK_RESERVED)
    assert Payment.objects.get(order_id=702).status == "succeeded"
    assert [p["status"] for p in processed(702)] == ["succeeded"]


def test_settlement_of_a_checkout_in_a_fixed_number_of_statements():
    """OrderConfirmed's lines (seller known from catalog), then the capture's sale posting."""
    SellerAccount.objects.create(seller_id=7, name="Seven", slug="seven")
    event = confirmed(703, [line("SKU-1", 2, "25.00", seller_id=7)])
    budget(own_statements(lambda: settlement_handlers.settle_confirmed_lines(event)), SETTLE_CONFIRMED_LINES)
    with transaction.atomic():
        handlers.note_stock_reserved(reserved(703))
        handlers.hold_payment_request(initiated(703))
    payment = Payment.objects.get(order_id=703)
    captured = PaymentProcessed(
        order_id=703, payment_id=payment.pk, status="succeeded", amount=payment.money(), provider="dummy"
    )
    budget(own_statements(lambda: settlement_handlers.settle_capture(captured)), SETTLE_CAPTURE)
    sale = LedgerEntry.objects.filter(order_id=703, kind="sale")
    assert sum(e.credit for e in sale) == sum(e.debit for e in sale) == Decimal("50.00")


@pytest.mark.parametrize("stock_first", [True, False])
def test_a_discount_heard_before_the_charge_is_posted_by_its_capture(stock_first):
    """The charge reads whether a discount waits with the order's signals (and skips the look
    when none does, as above); one that waits costs its UPDATE and its posting, in either order."""
    order_id = 704 if stock_first else 705
    with transaction.atomic():
        ledger.note_order_discount(order_id, Decimal("5.00"), "USD")
        if stock_first:
            handlers.note_stock_reserved(reserved(order_id))
        else:
            handlers.hold_payment_request(initiated(order_id))
    if stock_first:
        sql = own_statements(lambda: handlers.hold_payment_request(initiated(order_id)))
        budget(sql, HOLD_PAYMENT_REQUEST + 2)
    else:
        budget(own_statements(lambda: handlers.note_stock_reserved(reserved(order_id))), NOTE_STOCK_RESERVED + 2)
    discount = LedgerEntry.objects.filter(order_id=order_id, kind="discount")
    assert sorted((e.debit, e.credit) for e in discount) == [(0, Decimal("5.00")), (Decimal("5.00"), 0)]
    assert Payment.objects.get(order_id=order_id).status == "succeeded"
