"""Invoices and credit notes issued from events: amounts to the cent, lines summing to the
totals, any arrival order, redelivery issuing nothing twice, and documents that never change."""

from dataclasses import replace
from decimal import Decimal

import pytest
from django.utils import timezone

from flowmart.billing.models import Document, DocumentLine, ImmutableDocument
from flowmart.billing.services import rendering
from flowmart.contracts.orders import OrderLine
from tests.billing.conftest import (
    amended,
    amendment_charged,
    claimed,
    confirmed,
    deliver,
    line,
    paid,
    paid_order,
    refunded,
    return_requested,
    usd,
)

pytestmark = pytest.mark.django_db
YEAR = timezone.now().year
D = Decimal


def invoice_of(order_id) -> Document:
    return Document.objects.get(order_id=order_id, kind="invoice")


def lines_of(document) -> list[tuple]:
    return [(x.sku, x.quantity, x.unit_price, x.discount, x.tax, x.total) for x in document.lines.all()]


def assert_sums(document):
    lines = list(document.lines.all())
    assert sum(x.total for x in lines) == document.total
    assert sum(x.amount for x in lines) == document.subtotal
    assert sum(x.tax for x in lines) == document.tax
    assert sum(x.discount for x in lines) == document.discount
    assert document.total == document.subtotal - document.discount + document.tax
    for x in lines:
        assert x.total == x.amount - x.discount + x.tax


def test_a_paid_order_gets_its_invoice_to_the_cent():
    paid_order(1)
    invoice = invoice_of(1)
    assert invoice.number == f"INV-{YEAR}-000001" and invoice.series == f"INV-{YEAR}"
    assert lines_of(invoice) == [
        ("MUG-1", 2, D("19.99"), D("4.00"), D("2.88"), D("38.86")),
        ("TEA-1", 1, D("5.00"), D("0.00"), D("0.40"), D("5.40")),
        ("", 1, D("4.99"), D("0.00"), D("0.00"), D("4.99")),
    ]
    assert (invoice.subtotal, invoice.discount, invoice.tax, invoice.total) == (
        D("49.97"), D("4.00"), D("3.28"), D("49.25"),
    )  # fmt: skip
    assert invoice.currency == "USD" and invoice.buyer_email == "ada@example.com"
    assert invoice.buyer_address["name"] == "Ada Lovelace"
    assert_sums(invoice)
    assert not invoice.pdf  # drawn on first download, not while issuing (inside the saga)
    with rendering.stored_pdf(invoice).pdf.open("rb") as f:
        content = f.read()
    assert content.startswith(b"%PDF") and invoice.number.encode() in content and b"$49.25" in content


def test_unpaid_orders_get_no_invoice_and_numbers_follow_each_other():
    deliver(confirmed(1))
    assert not Document.objects.exists()
    paid_order(2)
    paid_order(3)
    deliver(paid(1))
    numbers = list(Document.objects.order_by("number").values_list("order_id", "number"))
    assert numbers == [(2, f"INV-{YEAR}-000001"), (3, f"INV-{YEAR}-000002"), (1, f"INV-{YEAR}-000003")]


def test_paid_before_the_lines_are_known_issues_when_both_are():
    deliver(paid(5))
    assert not Document.objects.exists()
    deliver(confirmed(5))
    assert invoice_of(5).total == D("49.25")


def test_redelivered_events_issue_nothing_twice():
    paid_order(1)
    deliver(paid(1))
    deliver(confirmed(1))
    deliver(refunded(1, 10, "5.00"))
    deliver(refunded(1, 10, "5.00"))
    deliver(paid(1))
    assert Document.objects.filter(kind="invoice").count() == 1
    assert Document.objects.filter(kind="credit_note").count() == 1


def test_the_invoice_shows_the_amended_lines_when_amended_before_payment():
    first = confirmed(1)
    deliver(first)
    new_lines = (line("MUG-1", 1, "19.99", discount="2.00", tax="1.44"),)
    deliver(amended(1, "am-1", new_lines, [("MUG-1", -1), ("TEA-1", -1)], new_total="24.42"))
    deliver(first)  # a late redelivery of the older lines loses
    deliver(paid(1))
    invoice = invoice_of(1)
    assert lines_of(invoice) == [
        ("MUG-1", 1, D("19.99"), D("2.00"), D("1.44"), D("19.43")),
        ("", 1, D("4.99"), D("0.00"), D("0.00"), D("4.99")),
    ]
    assert invoice.total == D("24.42")
    assert_sums(invoice)


def test_order_level_discount_and_tax_are_allocated_when_lines_do_not_carry_them():
    bare = tuple(
        OrderLine(sku=sku, name=sku, quantity=q, unit_price=usd("10.00"), seller_id=1)
        for sku, q in (("A", 1), ("B", 2))
    )
    deliver(confirmed(1, lines=bare, shipping="0", discount="1.00", tax="2.00"))
    deliver(paid(1))
    invoice = invoice_of(1)
    assert [(x.sku, x.discount, x.tax) for x in invoice.lines.all()] == [
        ("A", D("0.33"), D("0.67")),
        ("B", D("0.67"), D("1.33")),
    ]
    assert invoice.total == D("31.00")
    assert_sums(invoice)


def test_a_full_refund_credits_every_line():
    paid_order(1)
    deliver(refunded(1, 10, "49.25", reason="order_cancelled", fully=True))
    note = Document.objects.get(kind="credit_note")
    assert note.number == f"CN-{YEAR}-000001" and note.credits == invoice_of(1)
    assert lines_of(note) == lines_of(invoice_of(1))
    assert note.total == D("49.25") and note.tax == D("3.28") and note.reason == "order_cancelled"
    assert_sums(note)


def test_a_returned_line_is_credited_on_that_line_with_its_tax_share():
    paid_order(1)
    deliver(return_requested(1, "ret-1", [("MUG-1", 1)]))
    deliver(refunded(1, 10, "19.43", reason="return", reference="ret-1"))  # (39.98 - 4.00 + 2.88) / 2
    note = Document.objects.get(kind="credit_note")
    assert lines_of(note) == [("MUG-1", 1, D("19.99"), D("2.00"), D("1.44"), D("19.43"))]
    assert (note.subtotal, note.discount, note.tax, note.total) == (D("19.99"), D("2.00"), D("1.44"), D("19.43"))
    assert_sums(note)


def test_an_amendment_refund_after_payment_is_credited_on_the_removed_units():
    paid_order(1)
    kept = (line("MUG-1", 2, "19.99", discount="4.00", tax="2.88"),)
    deliver(amended(1, "am-1", kept, [("TEA-1", -1)], new_total="43.85"))
    deliver(refunded(1, 11, "5.40", reason="order_amended", reference="amendment-am-1"))  # payments' reference
    note = Document.objects.get(kind="credit_note")
    assert lines_of(note) == [("TEA-1", 1, D("5.00"), D("0.00"), D("0.40"), D("5.40"))]
    assert invoice_of(1).total == D("49.25")  # the invoice stays as issued


def test_an_amendment_refund_overtaking_its_amendment_waits_for_it():
    paid_order(1)
    deliver(refunded(1, 11, "5.40", reason="order_amended", reference="amendment-am-2"))
    assert not Document.objects.filter(kind="credit_note").exists()
    kept = (line("MUG-1", 2, "19.99", discount="4.00", tax="2.88"),)
    deliver(amended(1, "am-2", kept, [("TEA-1", -1)], new_total="43.85"))
    note = Document.objects.get(kind="credit_note")
    assert lines_of(note) == [("TEA-1", 1, D("5.00"), D("0.00"), D("0.40"), D("5.40"))]


def test_a_partial_refund_without_lines_is_one_amount_with_proportional_tax():
    paid_order(1)
    deliver(refunded(1, 10, "10.00"))
    deliver(refunded(1, 11, "100.00"))  # more than is left: capped at what the invoice still holds
    first, second = Document.objects.filter(kind="credit_note").order_by("number")
    assert first.number == f"CN-{YEAR}-000001" and second.number == f"CN-{YEAR}-000002"
    assert lines_of(first) == [("", 1, D("9.33"), D("0.00"), D("0.67"), D("10.00"))]  # 10.00 × 3.28 / 49.25
    assert second.total == D("39.25")
    assert_sums(first) and assert_sums(second)
    deliver(refunded(1, 12, "1.00"))
    assert Document.objects.filter(kind="credit_note").count() == 2  # nothing left to credit


def test_a_refund_before_the_invoice_is_credited_once_the_invoice_exists():
    deliver(confirmed(1))
    deliver(refunded(1, 10, "5.00"))
    assert not Document.objects.exists()
    deliver(paid(1))
    assert [d.kind for d in Document.objects.order_by("issued_at", "id")] == ["invoice", "credit_note"]


def test_a_claimed_guest_order_keeps_its_invoice_and_gets_an_owner():
    from flowmart.billing.models import BilledOrder

    paid_order(1, customer_id=None, email="guest@example.com")
    deliver(claimed(1, 42))
    assert BilledOrder.objects.get(order_id=1).customer_id == 42
    deliver(confirmed(1, customer_id=None, email="guest@example.com"))  # a late redelivery keeps the owner
    assert BilledOrder.objects.get(order_id=1).customer_id == 42


def test_issued_documents_never_change():
    paid_order(1)
    invoice = invoice_of(1)
    invoice.total = D("1.00")
    with pytest.raises(ImmutableDocument):
        invoice.save()
    with pytest.raises(ImmutableDocument):
        invoice.delete()
    with pytest.raises(ImmutableDocument):
        Document.objects.filter(pk=invoice.pk).update(total=D("1.00"))
    with pytest.raises(ImmutableDocument):
        Document.objects.all().delete()
    first = invoice.lines.first()
    with pytest.raises(ImmutableDocument):
        first.save()
    with pytest.raises(ImmutableDocument):
        DocumentLine.objects.filter(pk=first.pk).update(total=D("0"))
    assert invoice_of(1).total == D("49.25")


def test_an_amendment_charged_after_the_invoice_gets_a_supplementary_invoice():
    paid_order(1)
    more = (line("MUG-1", 3, "19.99", discount="6.00", tax="4.32"), line("TEA-1", 1, "5.00", seller_id=2, tax="0.40"))
    deliver(amendment_charged(1, "am-3", "21.43"))  # may overtake the amendment: waits for it
    assert Document.objects.filter(kind="invoice").count() == 1
    deliver(amended(1, "am-3", more, [("MUG-1", 1)], new_total="70.68"))
    deliver(amendment_charged(1, "am-3", "21.43"))  # redelivered: nothing more
    main, extra = Document.objects.filter(kind="invoice").order_by("number")
    assert main.total == D("49.25") and extra.number == f"INV-{YEAR}-000002"
    assert extra.reference == "amendment-am-3" and extra.reason == "order_amended"
    # tax in proportion to the amended order's: 21.43 × 4.72 / 70.68 = 1.43
    assert lines_of(extra) == [("", 1, D("20.00"), D("0.00"), D("1.43"), D("21.43"))]
    assert_sums(extra)
    deliver(refunded(1, 20, "70.68", reason="order_cancelled", fully=True))
    [note] = Document.objects.filter(kind="credit_note")
    assert note.total == D("70.68")  # the cancellation credits both invoices


def test_an_amendment_before_the_invoice_needs_no_supplement():
    deliver(confirmed(1))
    more = (line("MUG-1", 3, "19.99", discount="6.00", tax="4.32"), line("TEA-1", 1, "5.00", seller_id=2, tax="0.40"))
    deliver(amended(1, "am-4", more, [("MUG-1", 1)], new_total="70.68"))
    deliver(paid(1))
    deliver(amendment_charged(1, "am-4", "21.43"))
    [invoice] = Document.objects.filter(kind="invoice")
    assert invoice.total == D("70.68")


def test_a_tax_inclusive_order_is_invoiced_net_of_the_tax_its_prices_hold():
    """A gross-price channel (docs/tax.md): 2 × 11.90 holds 3.80 of tax, 1 × 5.95 holds 0.95."""
    gross = tuple(
        replace(x, tax_included=True)
        for x in (line("MUG-1", 2, "11.90", tax="3.80"), line("TEA-1", 1, "5.95", seller_id=2, tax="0.95"))
    )
    event = confirmed(80, lines=gross, shipping="4.99", discount="0", tax="4.75")
    deliver(replace(event, total=usd("34.74")))
    deliver(paid(80))
    invoice = invoice_of(80)
    assert invoice.total == D("34.74")  # what was paid: 29.75 of goods and 4.99 of shipping
    assert lines_of(invoice)[:2] == [
        ("MUG-1", 2, D("10.00"), D("0.00"), D("3.80"), D("23.80")),
        ("TEA-1", 1, D("5.00"), D("0.00"), D("0.95"), D("5.95")),
    ]
    assert_sums(invoice)
