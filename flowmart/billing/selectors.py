"""Billing's reads. A customer's documents are those of the orders billing knows as theirs
(BilledOrder.customer_id, from OrderConfirmed and OrderClaimed); anything else is 404, never
403, so a guessed id or number tells nothing."""

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from rest_framework.exceptions import NotFound

from flowmart.common import roles
from flowmart.contracts.orders import read_guest_order_token

from .models import INVOICE_REFERENCE, BilledOrder, Document, DocumentLine, SellerStaff


def documents_of(customer_id: int) -> QuerySet[Document]:
    owned = BilledOrder.objects.filter(customer_id=customer_id).values("order_id")
    return Document.objects.filter(order_id__in=owned).select_related("credits").prefetch_related("lines")


def invoice_of_order(customer_id: int, order_id) -> Document:
    try:
        return documents_of(customer_id).get(order_id=int(order_id), kind="invoice", reference=INVOICE_REFERENCE)
    except (Document.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No invoice for this order.") from None


def document_of(customer_id: int, number: str) -> Document:
    document = documents_of(customer_id).filter(number=number).first()
    if document is None:
        raise NotFound("No such invoice or credit note.")
    return document


def guest_invoice(token: str) -> Document:
    """The invoice of the order a guest's signed link names (the same link as the order's)."""
    found = read_guest_order_token(token, max_age_seconds=settings.GUEST_ORDER_LINK_MAX_AGE_DAYS * 86400)
    if found is not None:
        order_id, email = found
        if BilledOrder.objects.filter(order_id=order_id, customer_email__iexact=email).exists():
            invoice = Document.objects.filter(order_id=order_id, kind="invoice", reference=INVOICE_REFERENCE).first()
            if invoice is not None:
                return invoice
    raise NotFound("No invoice for this order.")


def seller_ids_of(user) -> list[int]:
    return SellerStaff.seller_ids_of(user)


def documents_for_seller(user, queryset: QuerySet[Document]) -> QuerySet[Document]:
    """Documents holding at least one line of the seller-staff user's sellers."""
    mine = DocumentLine.objects.filter(document=OuterRef("pk"), seller_id__in=SellerStaff.sellers_of(user))
    return queryset.filter(Exists(mine))


def visible_lines(user, document: Document) -> QuerySet[DocumentLine]:
    """The lines a staff user may see: all for operations, their sellers' for seller staff."""
    lines = document.lines.all()
    if roles.is_seller_staff(user):
        lines = lines.filter(seller_id__in=SellerStaff.sellers_of(user))
    return lines
