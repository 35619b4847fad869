"""Invoices and credit notes as A4 PDFs, drawn with reportlab like the parcel labels.

Drawn on first download from the document and its lines, then stored (services/rendering.py).
Streams are left uncompressed so the text (number, amounts) can be read and searched in the
archived file with no PDF library."""

from io import BytesIO

from django.http import FileResponse
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from flowmart.contracts.common import address_lines

from .display import format_money

MARGIN = 18 * mm
MARKETPLACE = "FlowMart marketplace"
TITLES = {"invoice": "INVOICE", "credit_note": "CREDIT NOTE"}
# (heading, x of the column's right edge or left edge for text, right-aligned?)
COLUMNS = [
    ("Item", 0, False),
    ("Qty", 92 * mm, True),
    ("Unit price", 115 * mm, True),
    ("Discount", 135 * mm, True),
    ("Tax", 153 * mm, True),
    ("Total", 174 * mm, True),
]


def render_document(document, lines, sellers: dict[int, str]) -> bytes:
    """`lines`: the document's DocumentLine rows; `sellers`: seller id → name."""
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    pdf.setTitle(f"{TITLES[document.kind].title()} {document.number}")
    _, height = A4
    y = _header(pdf, document, sellers, lines, height - MARGIN)
    y = _table(pdf, document, lines, y - 10 * mm)
    _totals(pdf, document, y - 6 * mm)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _header(pdf, document, sellers, lines, y) -> float:
    width, _ = A4
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(MARGIN, y, TITLES[document.kind])
    pdf.setFont("Helvetica", 10)
    facts = [
        f"Number: {document.number}",
        f"Date: {document.issued_at:%Y-%m-%d}",
        f"Order: {document.order_number or document.order_id}",
        f"Currency: {document.currency}",
    ]
    if document.credits_id:
        facts.append(f"Credits invoice: {document.credits.number}")
    for i, fact in enumerate(facts):
        pdf.drawRightString(width - MARGIN, y - i * 13, fact)
    names = sorted({sellers.get(x.seller_id, f"Seller {x.seller_id}") for x in lines if x.seller_id is not None})
    top = y - 24
    left = _block(pdf, "Sold by", names + [f"through {MARKETPLACE}"], MARGIN, top)
    right = _block(pdf, "Bill to", address_lines(document.buyer_address) + [document.buyer_email], width / 2, top)
    return min(left, right, y - 13 * len(facts))


def _block(pdf, title, lines, x, y) -> float:
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(x, y, title)
    pdf.setFont("Helvetica", 10)
    for line in lines:
        y -= 13
        pdf.drawString(x, y, line[:60])
    return y


def _row(pdf, values, y, bold=False):
    pdf.setFont("Helvetica-Bold" if bold else "Helvetica", 9)
    for (_, x, right), value in zip(COLUMNS, values, strict=True):
        if right:
            pdf.drawRightString(MARGIN + x, y, value)
        else:
            pdf.drawString(MARGIN + x, y, value[:52])


def _table(pdf, document, lines, y) -> float:
    _row(pdf, [c[0] for c in COLUMNS], y, bold=True)
    pdf.line(MARGIN, y - 3, A4[0] - MARGIN, y - 3)
    for line in lines:
        y -= 14
        if y < MARGIN + 40 * mm:
            pdf.showPage()
            y = A4[1] - MARGIN
            _row(pdf, [c[0] for c in COLUMNS], y, bold=True)
            y -= 14
        name = f"{line.name} ({line.sku})" if line.sku else line.name
        money = [format_money(v, document.currency) for v in (line.unit_price, line.discount, line.tax, line.total)]
        _row(pdf, [name, str(line.quantity), *money], y)
    return y


def _totals(pdf, document, y) -> None:
    x = A4[0] - MARGIN
    rows = [("Subtotal", document.subtotal), ("Discount", -document.discount), ("Tax", document.tax)]
    rows.append(("Total credited" if document.kind == "credit_note" else "Total", document.total))
    for i, (label, amount) in enumerate(rows):
        last = i == len(rows) - 1
        pdf.setFont("Helvetica-Bold" if last else "Helvetica", 11 if last else 10)
        pdf.drawRightString(x - 40 * mm, y, label)
        pdf.drawRightString(x, y, format_money(amount, document.currency))
        y -= 15


def download(document) -> FileResponse:
    """An invoice or credit note as its stored PDF file (callers store it first: services/rendering).
    Shared by the storefront API and the admin, which each say "not found" their own way."""
    return FileResponse(document.pdf.open("rb"), content_type="application/pdf", filename=f"{document.number}.pdf")
