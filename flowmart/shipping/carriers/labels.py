"""Printable parcel labels: a 4×6 inch PDF with both addresses, the tracking number in
clear and as a Code 128 barcode, drawn with reportlab."""

from io import BytesIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch, mm
from reportlab.pdfgen import canvas

PAGE = (4 * inch, 6 * inch)
MARGIN = 6 * mm


def render_label(
    *, carrier_name: str, service: str, tracking_number: str, sender: list[str], recipient: list[str], reference: str
) -> bytes:
    width, height = PAGE
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=PAGE)
    pdf.setTitle(f"{carrier_name} label {tracking_number}")
    y = height - MARGIN - 12
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(MARGIN, y, carrier_name)
    pdf.setFont("Helvetica", 9)
    pdf.drawRightString(width - MARGIN, y, service)
    y = _block(pdf, "FROM", sender, y - 24, size=8)
    y = _block(pdf, "TO", recipient, y - 12, size=12)
    barcode = Code128(tracking_number, barHeight=22 * mm, barWidth=0.32 * mm, humanReadable=False)
    barcode.drawOn(pdf, (width - barcode.width) / 2, MARGIN + 34)
    pdf.setFont("Courier-Bold", 13)
    pdf.drawCentredString(width / 2, MARGIN + 18, tracking_number)
    pdf.setFont("Helvetica", 7)
    pdf.drawString(MARGIN, MARGIN, reference)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _block(pdf: canvas.Canvas, title: str, lines: list[str], y: float, *, size: int) -> float:
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawString(MARGIN, y, title)
    pdf.setFont("Helvetica", size)
    for line in lines:
        y -= size + 3
        pdf.drawString(MARGIN + 8, y, line[:48])
    return y
