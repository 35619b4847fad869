"""The buyer's erasure on invoices and credit notes: the one documented exception to their
immutability (docs/privacy.md, docs/billing.md). Accounting keeps every number, date, line,
amount and the buyer's country (tax); the buyer's email becomes the erased placeholder and
their address keeps only its country, on the document; its stored PDF (the only copy) is
deleted, and the next download draws it again from the anonymised document. Billing's order
projection loses them too, so a credit note issued after the erasure prints the placeholder."""

import logging

from django.db import transaction

from flowmart.common import privacy

from ..models import BilledOrder, Document

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
    documents = Document.objects.filter(order_id__in=orders.values("order_id")).only(
        "pk", "number", "buyer_email", "buyer_address", "pdf"
    )
    changed = 0
    for document in documents.order_by("id"):
        address = privacy.anonymise_address(document.buyer_address) if document.buyer_address else {}
        if document.buyer_email == email and document.buyer_address == address:
            continue
        _anonymise(document, email, address)
        changed += 1
    return changed


def _anonymise(document: Document, email: str, address: dict) -> None:
    """Replace the buyer's fields and drop the PDF drawn with them; the file is deleted once the
    transaction commits (a rollback leaves the old document and file as they were)."""
    old = document.pdf.name
    storage = document.pdf.storage
    Document.objects.filter(pk=document.pk).erase_buyer(buyer_email=email, buyer_address=address, pdf="")
    if old:
        transaction.on_commit(lambda: storage.delete(old))
    logger.info("buyer erased from %s", document.number)
