"""The PDF as issued: number, parties, lines and totals in the document's currency, and long
invoices running onto further pages with the column headings repeated."""

import re

import pytest

from flowmart.billing.models import Document
from flowmart.billing.services import rendering
from flowmart.contracts.catalog import ProductPublished
from tests.billing.conftest import deliver, line, paid_order, refunded

pytestmark = pytest.mark.django_db


def shown(text: str) -> bytes:
    """`text` as a PDF string literal holds it (parentheses escaped)."""
    return text.replace("(", "\\(").replace(")", "\\)").encode()


def content(document) -> bytes:
    with rendering.stored_pdf(document).pdf.open("rb") as f:
        return f.read()


def test_the_invoice_pdf_names_sellers_buyer_lines_and_totals():
    deliver(
        ProductPublished(
            product_id=1, product_name="Mug", slug="mug", seller_id=1, seller_slug="north",
            seller_name="North Goods", category_slug="mugs", variants=(),
        )
    )  # fmt: skip
    paid_order(1)
    invoice = Document.objects.get(kind="invoice")
    pdf = content(invoice)
    assert pdf.startswith(b"%PDF")
    for text in (invoice.number, "FM-000001", "North Goods", "Seller 2", "Ada Lovelace", "ada@example.com"):
        assert shown(text) in pdf, text
    for text in ("MUG-1 name (MUG-1)", "$19.99", "$4.00", "$2.88", "$38.86", "Shipping (standard)"):
        assert shown(text) in pdf, text
    assert b"(Total) Tj" in pdf and b"$49.25" in pdf
    assert invoice.pdf.name.endswith(f"{invoice.number}.pdf")


def test_a_credit_note_pdf_names_the_invoice_it_credits():
    paid_order(1)
    deliver(refunded(1, 10, "10.00"))
    note = Document.objects.get(kind="credit_note")
    pdf = content(note)
    assert b"CREDIT NOTE" in pdf and note.number.encode() in pdf and note.credits.number.encode() in pdf
    assert shown("Refund (operations)") in pdf and b"$10.00" in pdf


def test_a_long_invoice_runs_onto_more_pages():
    many = tuple(line(f"SKU-{i:03d}", 1, "1.00") for i in range(80))
    paid_order(1, lines=many, shipping="0", discount="0", tax="0")
    pdf = content(Document.objects.get(kind="invoice"))
    assert int(re.search(rb"/Count (\d+)", pdf).group(1)) >= 2  # the page tree's page count
    assert b"SKU-000" in pdf and b"SKU-079" in pdf and b"$80.00" in pdf


def published_by(seller_name: str) -> ProductPublished:
    return ProductPublished(
        product_id=1, product_name="Mug", slug="mug", seller_id=1, seller_slug="north",
        seller_name=seller_name, category_slug="mugs", variants=(),
    )  # fmt: skip


def test_issuing_draws_no_pdf_the_first_download_draws_and_stores_it_once(monkeypatch):
    paid_order(1)
    invoice = Document.objects.get(kind="invoice")
    assert not invoice.pdf  # issuing (inside the checkout saga) writes rows only
    first = content(invoice)
    stored = Document.objects.get(pk=invoice.pk)
    assert stored.pdf.name.endswith(f"{invoice.number}.pdf")

    def no_drawing(*args, **kwargs):
        raise AssertionError("a stored PDF is served, never drawn again")

    monkeypatch.setattr(rendering, "render_document", no_drawing)
    assert content(stored) == first


def test_two_first_downloads_at_once_keep_one_file():
    paid_order(1)
    invoice = Document.objects.get(kind="invoice")
    late = Document.objects.get(pk=invoice.pk)  # read before either download stored its file
    content(invoice)
    rendering.stored_pdf(late)  # draws, finds a file stored meanwhile, serves that one
    assert late.pdf.name == Document.objects.get(pk=invoice.pk).pdf.name == invoice.pdf.name
    folder = invoice.pdf.name.rsplit("/", 1)[0]
    assert [name for name in invoice.pdf.storage.listdir(folder)[1] if name.startswith(invoice.number)] == [
        invoice.pdf.name.rsplit("/", 1)[1]
    ]


def test_the_pdf_drawn_later_names_the_seller_as_at_issue():
    deliver(published_by("North Goods"))
    paid_order(1)
    deliver(published_by("North Goods Renamed"))  # after the invoice was issued
    pdf = content(Document.objects.get(kind="invoice"))
    assert shown("North Goods") in pdf and shown("North Goods Renamed") not in pdf
