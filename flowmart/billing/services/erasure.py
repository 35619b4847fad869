"""The buyer's erasure on invoices and credit notes: the one documented exception to their
immutability (docs/privacy.md, docs/billing.md). Accounting keeps every number, date, line,
amount and the buyer's country (tax); the buyer's email becomes the erased placeholder and
their address keeps only its country, on the document and on its stored PDF, which is
rendered again from the document's own lines (the only copy of the PDF is the stored one,
so it must not keep showing the person). Billing's order projection loses them too, so a
credit note issued after the erasure prints the placeholder."""

import logging

from django.core.files.base import ContentFile
from django.db import transaction

from flowmart.common import privacy

from ..models import BilledOrder, Document, Seller
from ..pdf import render_document

logger = logging.getLogger("flowmart.billing")


@transaction.atomic
def erase_buyer(customer_id: int) -> int:
    """Anonymise the customer's billed orders and documents; returns how many documents
    changed (0 when run again: an already anonymised document is left as it is)."""
    email = privacy.erased_email(customer_id)
    orders = BilledOrder.objects.select_for_update().filter(customer_id=customer_id)
    for order in orders:
        order.customer_email = email
        order.shipping_address = privacy.anonymise_address(order.shipping_address) if order.shipping_address else {}
        order.save(update_fields=["customer_email", "shipping_address"])
    documents = Document.objects.filter(order_id__in=orders.values("order_id")).prefetch_related("lines")
    changed = 0
    for document in documents.order_by("id"):
        address = privacy.anonymise_address(document.buyer_address) if document.buyer_address else {}
        if document.buyer_email == email and document.buyer_address == address:
            continue
        _anonymise(document, email, address)
        changed += 1
    return changed


def _anonymise(document: Document, email: str, address: dict) -> None:
    """Store the PDF rendered with the anonymised buyer under a new name, point the document
    at it, and delete the old file once the transaction commits (a rollback leaves the old
    document and file as they were)."""
    document.buyer_email, document.buyer_address = email, address
    rows = list(document.lines.all())
    sellers = dict(Seller.objects.filter(seller_id__in={x.seller_id for x in rows}).values_list("seller_id", "name"))
    old = document.pdf.name
    storage = document.pdf.storage
    name = document.pdf.field.generate_filename(document, f"{document.number}.pdf")
    new = storage.save(name, ContentFile(render_document(document, rows, sellers)))
    Document.objects.filter(pk=document.pk).erase_buyer(buyer_email=email, buyer_address=address, pdf=new)
    if old and old != new:
        transaction.on_commit(lambda: storage.delete(old))
    logger.info("buyer erased from %s", document.number)
