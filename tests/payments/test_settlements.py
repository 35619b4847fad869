"""Seller settlement in the double-entry ledger: each paid line credits its seller net of
discount, tax and commission, to the cent; refunds and lost disputes take their share back."""

from dataclasses import replace
from decimal import Decimal

import pytest

from flowmart.common.money import Money
from flowmart.contracts.common import SkuQuantity
from flowmart.contracts.orders import RefundRequested
from flowmart.payments.models import LedgerEntry, OrderSettlement, SellerAccount
from flowmart.payments.services import settlements

from .helpers import assert_ledger_balanced, payment, refund_requested, send
from .settlement_helpers import balance, commission_of, hear, line, paid_order

pytestmark = pytest.mark.django_db(transaction=True)


def two_seller_order(order_id=601):
    SellerAccount.objects.create(seller_id=8, name="Eight", commission_percent=Decimal("12.5"))
    return paid_order(
        order_id,
        [line("A-1", 2, "19.99", 7, discount="1.00", tax="3.12"), line("B-1", 1, "33.33", 8, tax="2.67")],
        shipping="5.00",
    )


def test_each_paid_line_credits_its_seller_minus_commission_to_the_cent():
    event = two_seller_order()
    assert event.total.amount == Decimal("83.10") and payment(601).captured_amount == Decimal("83.10")
    # seller 7: 2 × 19.99 − 1.00 = 38.98, 10 % = 3.898 → 3.90; seller 8: 33.33 at 12.5 % = 4.16625 → 4.17
    assert balance(7, "pending") == Decimal("35.08") and commission_of(7) == Decimal("3.90")
    assert balance(8, "pending") == Decimal("29.16") and commission_of(8) == Decimal("4.17")
    assert balance(7, "available") == 0
    platform = {a: LedgerEntry.objects.filter(account=a).first().credit for a in ("platform:tax", "platform:shipping")}
    assert platform == {"platform:tax": Decimal("5.79"), "platform:shipping": Decimal("5.00")}
    assert_ledger_balanced(601)  # every transaction balanced, the payment's own checks still hold
    receivable = LedgerEntry.objects.filter(order_id=601, account="customer_receivable")
    assert sum(e.debit - e.credit for e in receivable) == 0  # the sale allocated all of the capture


def test_settling_again_changes_nothing():
    two_seller_order()
    before = LedgerEntry.objects.count()
    settlements.sync_order(601)
    settlements.sync_order(601)
    assert LedgerEntry.objects.count() == before


def test_a_later_rate_change_never_reprices_a_sold_order():
    two_seller_order()
    SellerAccount.objects.filter(seller_id=8).update(commission_percent=Decimal("50"))
    send(refund_requested(601, "ret-1", "0.01"))  # any later settlement of the order
    sales = LedgerEntry.objects.filter(order_id=601, kind="sale", account="platform:commission", seller_id=8)
    assert [e.credit for e in sales] == [Decimal("4.17")]
    assert_ledger_balanced(601)


def test_lines_arriving_after_the_capture_settle_the_same():
    from .helpers import initiated, reserved
    from .settlement_helpers import confirmed

    event = confirmed(602, [line("A-1", 3, "10.00", 7, tax="2.40")])
    send(initiated(602, amount=str(event.total.amount)), reserved(602))
    assert balance(7, "pending") == 0  # the capture alone does not say whose money it is
    hear(event)
    assert balance(7, "pending") == Decimal("27.00") and commission_of(7) == Decimal("3.00")
    assert_ledger_balanced(602)


def test_partial_refund_is_split_over_the_order_proportionally_to_the_cent():
    two_seller_order()
    send(refund_requested(601, "ret-1", "10.00"))
    # 10.00 over the lines' 35.08 / 3.90 / 29.16 / 4.17 / 5.79 (not shipping), largest remainder
    shares = settlements.split(
        Decimal("10.00"),
        {
            ("seller", 7): Decimal("35.08"),
            ("commission", 7): Decimal("3.90"),
            ("seller", 8): Decimal("29.16"),
            ("commission", 8): Decimal("4.17"),
            ("tax", None): Decimal("5.79"),
        },
        "USD",
    )
    assert sum(shares.values()) == Decimal("10.00")
    assert list(shares.values()) == [Decimal(x) for x in ("4.49", "0.50", "3.73", "0.54", "0.74")]
    assert balance(7, "pending") == Decimal("35.08") - shares[("seller", 7)]
    assert balance(8, "pending") == Decimal("29.16") - shares[("seller", 8)]
    assert commission_of(7) == Decimal("3.90") - shares[("commission", 7)]
    assert_ledger_balanced(601)


def test_full_refund_takes_back_exactly_what_was_credited():
    two_seller_order()
    send(refund_requested(601, "ret-1", "33.33"), refund_requested(601, "ret-2", "49.77"))
    assert payment(601).refunded_amount == Decimal("83.10")
    for seller in (7, 8):
        assert balance(seller, "pending") == 0 and balance(seller, "available") == 0 and commission_of(seller) == 0
    platform = LedgerEntry.objects.filter(account__startswith="platform:")
    assert sum(e.credit - e.debit for e in platform) == 0
    refunds = LedgerEntry.objects.filter(account="refunds")
    assert sum(e.debit - e.credit for e in refunds) == 0  # every refund was allocated
    assert_ledger_balanced(601)


def test_refund_after_release_debits_the_available_balance():
    paid_order(603, [line("A-1", 1, "50.00", 7)])
    from .settlement_helpers import age_sales

    age_sales()
    assert settlements.release_matured() == 1
    assert (balance(7, "pending"), balance(7, "available")) == (0, Decimal("45.00"))
    send(refund_requested(603, "ret-1", "20.00"))
    assert (balance(7, "pending"), balance(7, "available")) == (0, Decimal("27.00"))  # 45 − 18
    assert commission_of(7) == Decimal("3.00")  # no commission kept on the refunded 20.00
    assert_ledger_balanced(603)


def test_amended_lines_resplit_the_order():
    from flowmart.common.money import Money
    from flowmart.contracts.orders import OrderAmended

    paid_order(604, [line("A-1", 2, "10.00", 7), line("B-1", 1, "10.00", 8)])
    amended = OrderAmended(
        order_id=604,
        amendment_id="am-1",
        changes=(),
        lines=(line("A-1", 1, "10.00", 7), line("B-1", 1, "10.00", 8)),
        old_total=Money(Decimal("30.00"), "USD"),
        new_total=Money(Decimal("20.00"), "USD"),
    )
    hear(amended)
    send(amended)  # payments' own subscriber refunds the decrease
    assert OrderSettlement.objects.get(order_id=604).total == Decimal("20.00")
    assert payment(604).refunded_amount == Decimal("10.00")
    assert balance(7, "pending") + balance(8, "pending") + commission_of(7) + commission_of(8) == Decimal("20.00")
    assert_ledger_balanced(604)


def test_a_tax_inclusive_line_credits_its_seller_without_the_tax_its_price_holds():
    """A gross-price channel (docs/tax.md): 2 × 11.90 holds 3.80 of tax, paid 23.80 in all."""
    gross = replace(line("G-1", 2, "11.90", 7, tax="3.80"), tax_included=True)
    event = paid_order(602, [gross])
    assert event.total.amount == Decimal("23.80") and payment(602).captured_amount == Decimal("23.80")
    # seller 7: net 20.00, 10 % commission 2.00 → 18.00; the 3.80 of tax is the platform's
    assert balance(7, "pending") == Decimal("18.00") and commission_of(7) == Decimal("2.00")
    assert LedgerEntry.objects.filter(account="platform:tax", order_id=602).first().credit == Decimal("3.80")
    assert_ledger_balanced(602)


def test_a_returned_line_is_taken_back_from_its_own_seller_only():
    """RefundRequested names the returned units: seller 8's line comes back in full (its 33.33 net
    and 2.67 tax), and seller 7, whose mugs were kept, loses nothing."""
    two_seller_order()
    send(
        RefundRequested(
            order_id=601,
            reference="ret-b",
            amount=Money(Decimal("36.00"), "USD"),
            reason="return",
            lines=(SkuQuantity(sku="B-1", quantity=1),),
        )
    )
    assert balance(7, "pending") == Decimal("35.08") and commission_of(7) == Decimal("3.90")
    assert balance(8, "pending") == 0 and commission_of(8) == 0
    tax = LedgerEntry.objects.filter(order_id=601, account="platform:tax")
    assert sum(e.credit - e.debit for e in tax) == Decimal("3.12")  # seller 7's line's tax stays
    assert_ledger_balanced(601)


def test_half_a_returned_line_and_a_goodwill_refund_split_each_their_own_way():
    two_seller_order()
    # one of seller 7's two mugs: (38.98 net + 3.12 tax) / 2 = 21.05
    send(
        RefundRequested(
            order_id=601,
            reference="ret-a",
            amount=Money(Decimal("21.05"), "USD"),
            reason="return",
            lines=(SkuQuantity(sku="A-1", quantity=1),),
        )
    )
    assert balance(8, "pending") == Decimal("29.16")  # seller 8 untouched by the return
    assert balance(7, "pending") == Decimal("35.08") - Decimal("17.54")  # (38.98 - 3.90) / 2
    send(refund_requested(601, "goodwill", "5.00", reason="operations"))  # names no lines: everyone
    assert balance(8, "pending") < Decimal("29.16")
    assert_ledger_balanced(601)
