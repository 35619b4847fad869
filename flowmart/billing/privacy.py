"""The billing side of privacy (docs/privacy.md): the customer's invoices and credit notes in
the export (numbers, dates, totals, lines and the buyer details printed on them), and the
erasure, which anonymises the buyer on them and keeps them (legal retention):
services/erasure.py."""

from flowmart.common.money import quantize

from .selectors import documents_of
from .services import erasure

MONEY = ("subtotal", "discount", "tax", "total")


def _amount(amount, currency: str) -> str:
    return str(quantize(amount, currency))


def export_customer(customer_id: int, email: str) -> dict:
    documents = documents_of(customer_id).order_by("issued_at", "id")
    return {
        "invoices": [_document(d) for d in documents if d.kind == "invoice"],
        "credit_notes": [_document(d) for d in documents if d.kind == "credit_note"],
    }


def _document(document) -> dict:
    return {
        "number": document.number,
        "order_number": document.order_number,
        "issued_at": document.issued_at.isoformat(),
        "credits": document.credits.number if document.credits_id else None,
        "reason": document.reason,
        "buyer_email": document.buyer_email,
        "buyer_address": document.buyer_address,
        "currency": document.currency,
        **{name: _amount(getattr(document, name), document.currency) for name in MONEY},
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "total": _amount(line.total, document.currency),
            }
            for line in document.lines.all()
        ],
    }


def erase_customer(customer_id: int) -> None:
    erasure.erase_buyer(customer_id)
