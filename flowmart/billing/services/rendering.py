"""A document's PDF, drawn on first download and stored. Issuing (inside the checkout saga)
writes only rows; drawing a PDF costs more than the rest of issuing, and most documents are
never downloaded. The file shows nothing but the document's own fields and lines (seller names
were copied onto the lines when it was issued), so drawing it later draws the document as
issued; once stored, the same file is served every time."""

from django.core.files.base import ContentFile
from django.db import transaction

from ..models import Document, Seller
from ..pdf import render_document


def stored_pdf(document: Document) -> Document:
    """The document with its PDF stored, drawing it now if this is the first download."""
    if document.pdf:
        return document
    field = document.pdf.field
    name = field.storage.save(field.generate_filename(document, f"{document.number}.pdf"), ContentFile(draw(document)))
    with transaction.atomic():
        stored = Document.objects.filter(pk=document.pk).store_pdf(name)
    if stored:
        document.pdf.name = name
    else:  # another download stored its copy first: serve that one
        field.storage.delete(name)
        document.pdf.name = Document.objects.filter(pk=document.pk).values_list("pdf", flat=True).get()
    return document


def draw(document: Document) -> bytes:
    rows = list(document.lines.all())
    return render_document(document, rows, seller_names(rows))


def seller_names(rows) -> dict[int, str]:
    """Seller id → name as issued; documents issued before names were copied look them up."""
    names = {x.seller_id: x.seller_name for x in rows if x.seller_id is not None and x.seller_name}
    missing = {x.seller_id for x in rows if x.seller_id is not None} - set(names)
    if missing:
        names.update(Seller.objects.filter(seller_id__in=missing).values_list("seller_id", "name"))
    return names
