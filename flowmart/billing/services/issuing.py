"""Issuing invoices and credit notes. `settle(order_id)` is the one entry point: it issues
whatever the order is due and does not have yet (its invoice once it is paid and its lines are
known, a supplementary invoice per amendment charged after that, a credit note per refund), so
events may arrive in any order and any number of times. Each document is unique per (order,
kind, reference) and numbered without gaps."""

import logging
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from flowmart.common.money import quantize

from ..models import (
    INVOICE_REFERENCE,
    AmendmentCharge,
    BilledOrder,
    BilledRefund,
    Document,
    DocumentLine,
    RefundBasis,
    Seller,
)
from . import numbering
from .allocation import allocate, share
from .projections import locked_order

logger = logging.getLogger("flowmart.billing")
AMENDMENT_REFUND_PREFIX = "amendment-"
ZERO = Decimal(0)


def settle(order_id: int, order: BilledOrder | None = None) -> list[Document]:
    """Issue what is due for the order; returns the documents issued now. `order`: its row as
    the caller locked it in this transaction already (spares reading it again).

    No savepoint of its own: inside a subscriber's transaction a failure here fails the
    delivery anyway; called alone it still runs in (and holds its locks for) one transaction."""
    with transaction.atomic(savepoint=False):
        order = order or locked_order(order_id)
        if order.paid_at is None or not order.lines_known:
            return []
        on_file = _on_file(order_id)
        invoice = None
        if on_file["invoice"]:
            invoice = Document.objects.filter(order_id=order_id, kind="invoice", reference=INVOICE_REFERENCE).first()
        issued = []
        if invoice is None:
            invoice = _issue(order, "invoice", INVOICE_REFERENCE, invoice_lines(order))
            order.invoiced_as_of = order.lines_as_of
            order.save(update_fields=["invoiced_as_of"])
            issued.append(invoice)
        if on_file["charges"]:
            issued += _supplements(order)
        if on_file["refunds"]:
            issued += _credit_notes(order, invoice)
    return issued


def _on_file(order_id: int) -> dict[str, bool]:
    """Whether the order has its invoice, amendment charges, refunds: one query instead of one
    per kind. Asked after the order's lock is taken (a statement of its own, so it sees all that
    committed while this transaction waited for the lock). Plain SQL: the ORM's Exists()
    annotations cost more CPU to build (their querysets are copied) than the query to run."""
    qn = connection.ops.quote_name
    document, charge, refund = (qn(m._meta.db_table) for m in (Document, AmendmentCharge, BilledRefund))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {document} WHERE order_id = %s AND kind = %s AND reference = %s), "
            f"EXISTS (SELECT 1 FROM {charge} WHERE order_id = %s), EXISTS (SELECT 1 FROM {refund} WHERE order_id = %s)",
            [order_id, "invoice", INVOICE_REFERENCE, order_id, order_id],
        )
        invoice, charges, refunds = cursor.fetchone()
    return {"invoice": bool(invoice), "charges": bool(charges), "refunds": bool(refunds)}


def _supplements(order: BilledOrder) -> list[Document]:
    """A supplementary invoice per amendment charged after the invoice was issued without it."""
    issued = []
    for charge in AmendmentCharge.objects.filter(order_id=order.order_id).order_by("charged_at", "id"):
        reference = f"{AMENDMENT_REFUND_PREFIX}{charge.amendment_id}"
        if Document.objects.filter(order_id=order.order_id, kind="invoice", reference=reference).exists():
            continue
        amendment = RefundBasis.objects.filter(order_id=order.order_id, reference=charge.amendment_id).first()
        if amendment is None or amendment.as_of is None:
            continue  # issued when the OrderAmended behind it arrives
        if order.invoiced_as_of is not None and amendment.as_of <= order.invoiced_as_of:
            continue  # the invoice was issued from the amended lines: it already holds the charge
        issued.append(_issue(order, "invoice", reference, supplement_lines(order, charge), reason="order_amended"))
    return issued


def _credit_notes(order: BilledOrder, invoice: Document) -> list[Document]:
    issued = []
    for refund in BilledRefund.objects.filter(order_id=order.order_id).order_by("refunded_at", "refund_id"):
        reference = f"refund-{refund.refund_id}"
        if Document.objects.filter(order_id=order.order_id, kind="credit_note", reference=reference).exists():
            continue
        if _awaits_amendment(order.order_id, refund.reference):
            continue  # issued when the OrderAmended behind it arrives
        lines = credit_lines(invoice, refund)
        if not lines:
            logger.warning("refund %s of order %s: nothing left to credit", refund.refund_id, order.order_id)
            continue
        issued.append(_issue(order, "credit_note", reference, lines, credits=invoice, reason=refund.reason))
    return issued


def supplement_lines(order: BilledOrder, charge: AmendmentCharge) -> list[dict]:
    """The extra charge as one amount, with the amended order's tax shown proportionally."""
    lines = invoice_lines(order)
    tax = share(
        sum((x["tax"] for x in lines), ZERO), charge.amount, sum((x["total"] for x in lines), ZERO), order.currency
    )
    return [_line("", "Order amendment", None, 1, charge.amount - tax, charge.amount - tax, ZERO, tax)]


def _line(sku, name, seller_id, quantity, unit_price, amount, discount, tax) -> dict:
    return {
        "sku": sku,
        "name": name,
        "seller_id": seller_id,
        "quantity": quantity,
        "unit_price": unit_price,
        "amount": amount,
        "discount": discount,
        "tax": tax,
        "total": amount - discount + tax,
    }


def _goods_line(line: dict, goods: Decimal, discount: Decimal, tax: Decimal, currency: str) -> dict:
    """An order line on the invoice, always net of tax: a tax-inclusive line's gross price
    (docs/tax.md) is shown without the tax it holds, so amount - discount + tax is what was paid."""
    unit_price = Decimal(line["unit_price"])
    if line.get("tax_included"):
        goods = goods - tax
        unit_price = quantize(goods / line["quantity"], currency)
    return _line(line["sku"], line["name"], line["seller_id"], line["quantity"], unit_price, goods, discount, tax)


def _split(order_level, per_line: list, goods: list[Decimal], currency: str) -> list[Decimal]:
    """Per-line values as the event carried them, else the order's figure allocated by goods."""
    if all(value is not None for value in per_line):
        return [Decimal(value) for value in per_line]
    return allocate(order_level if order_level is not None else ZERO, goods, currency)


def invoice_lines(order: BilledOrder) -> list[dict]:
    """The order's lines, plus a shipping line holding the shipping price and whatever part of
    the order's discount and tax is not on a line, so the lines always sum to the order total."""
    currency = order.currency
    goods = [Decimal(x["unit_price"]) * x["quantity"] for x in order.lines]
    discounts = _split(order.discount, [x["discount"] for x in order.lines], goods, currency)
    taxes = _split(order.tax, [x["tax"] for x in order.lines], goods, currency)
    lines = [_goods_line(x, g, d, t, currency) for x, g, d, t in zip(order.lines, goods, discounts, taxes, strict=True)]
    extra_discount = (order.discount or ZERO) - sum(discounts, ZERO) if order.discount is not None else ZERO
    extra_tax = (order.tax or ZERO) - sum(taxes, ZERO) if order.tax is not None else ZERO
    if order.shipping is not None:
        shipping = order.shipping
    else:  # after an amendment: what the total holds beyond the lines
        shipping = (order.total or ZERO) - sum((x["total"] for x in lines), ZERO)
    if shipping or extra_discount or extra_tax:
        name = f"Shipping ({order.shipping_method})" if order.shipping_method else "Shipping"
        lines.append(_line("", name, None, 1, shipping, shipping, extra_discount, extra_tax))
    return lines


def credit_lines(invoice: Document, refund: BilledRefund) -> list[dict]:
    """The refund as credit-note lines: split over the invoice lines it is about (a return's
    or an amendment's units), the whole invoice mirrored for a full refund, else one amount
    with the invoice's tax rate shown proportionally. Never more than is left to credit."""
    documents = Document.objects.filter(order_id=invoice.order_id)
    invoiced = documents.filter(kind="invoice").aggregate(s=Sum("total"))["s"] or ZERO  # supplements included
    credited = documents.filter(kind="credit_note").aggregate(s=Sum("total"))["s"] or ZERO
    amount = min(refund.amount, invoiced - credited)
    if amount <= 0:
        return []
    if amount < refund.amount:
        logger.warning("refund %s exceeds what order %s has left to credit; capped", refund.refund_id, invoice.order_id)
    on_invoice = list(invoice.lines.all())
    basis = _basis_of(invoice.order_id, refund.reference)
    if basis is not None:
        lines = _over_lines(on_invoice, basis.lines, amount, invoice.currency)
        if lines:
            return lines
    if credited == 0 and amount == invoice.total:
        return [
            _line(x.sku, x.name, x.seller_id, x.quantity, x.unit_price, x.amount, x.discount, x.tax) for x in on_invoice
        ]
    tax = share(invoice.tax, amount, invoice.total, invoice.currency)
    name = f"Refund ({refund.reason})" if refund.reason else "Refund"
    return [_line("", name, None, 1, amount - tax, amount - tax, ZERO, tax)]


def _basis_of(order_id: int, reference: str) -> RefundBasis | None:
    """The lines a refund is about: its reference is the return id (RefundRequested), or
    "amendment-<amendment id>" for the refund payments makes when an amendment lowers the total."""
    if not reference:
        return None
    keys = {reference, reference.removeprefix(AMENDMENT_REFUND_PREFIX)}
    return RefundBasis.objects.filter(order_id=order_id, reference__in=keys).first()


def _awaits_amendment(order_id: int, reference: str) -> bool:
    """An amendment's refund can overtake the OrderAmended that caused it (each subscriber runs
    on its own): wait for the amendment, which says which units the refund is about."""
    if not reference.startswith(AMENDMENT_REFUND_PREFIX):
        return False
    amendment_id = reference.removeprefix(AMENDMENT_REFUND_PREFIX)
    return not RefundBasis.objects.filter(order_id=order_id, reference=amendment_id).exists()


def _over_lines(invoiced: list[DocumentLine], wanted: list[dict], amount: Decimal, currency: str) -> list[dict]:
    by_sku = {x.sku: x for x in invoiced if x.sku}
    taken = []
    for item in wanted:
        line = by_sku.get(item["sku"])
        quantity = min(int(item["quantity"]), line.quantity) if line else 0
        if quantity > 0:
            taken.append((line, quantity, line.total * quantity / line.quantity))
    if not taken:
        return []
    parts = allocate(amount, [portion for _, _, portion in taken], currency)
    lines = []
    for (line, quantity, _), part in zip(taken, parts, strict=True):
        tax = share(line.tax, part, line.total, currency)
        discount = share(line.discount, part, line.total, currency)
        lines.append(
            _line(line.sku, line.name, line.seller_id, quantity, line.unit_price, part + discount - tax, discount, tax)
        )
    return lines


def _issue(order: BilledOrder, kind: str, reference: str, lines: list[dict], credits=None, reason="") -> Document:
    """Number and write one document in the caller's transaction (the series row stays locked
    until it commits). The PDF is not drawn here but on first download (services/rendering.py):
    the document and its lines, seller names included, are everything it shows."""
    series = numbering.series_name(kind, timezone.now())
    number = numbering.take_next(series)
    document = Document(
        number=number,
        series=series,
        kind=kind,
        order_id=order.order_id,
        order_number=order.order_number,
        reference=reference,
        credits=credits,
        reason=reason,
        buyer_email=order.customer_email,
        buyer_address=order.shipping_address,
        currency=order.currency,
        subtotal=sum((x["amount"] for x in lines), ZERO),
        discount=sum((x["discount"] for x in lines), ZERO),
        tax=sum((x["tax"] for x in lines), ZERO),
        total=sum((x["total"] for x in lines), ZERO),
        issued_at=timezone.now(),
    )
    rows = [DocumentLine(position=i, **line) for i, line in enumerate(lines, start=1)]
    if connection.vendor == "postgresql" and rows:
        _insert_with_lines(document, rows)
    else:
        sellers = dict(
            Seller.objects.filter(seller_id__in={x.seller_id for x in rows}).values_list("seller_id", "name")
        )
        document.save()
        for row in rows:
            row.document = document
            row.seller_name = sellers.get(row.seller_id, "")
        DocumentLine.objects.bulk_create(rows)
    logger.info("%s issued for order %s (%s %s)", number, order.order_id, document.total, document.currency)
    return document


def _insert_with_lines(document: Document, rows: list[DocumentLine]) -> None:
    """PostgreSQL: the document, its lines and their sellers' names (as the seller projection
    holds them now) in one statement: the lines' INSERT … SELECT reads the document's id from
    its INSERT … RETURNING and joins the names. What document.save() + bulk_create did in three."""
    qn = connection.ops.quote_name
    head = [f for f in Document._meta.concrete_fields if not f.primary_key]
    own = [f for f in DocumentLine._meta.concrete_fields if f.name not in ("id", "document", "seller_name")]
    typed = "(" + ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in own) + ")"
    columns = ", ".join(qn(f.column) for f in own)
    sql = (
        f"WITH document AS (INSERT INTO {qn(Document._meta.db_table)} ({', '.join(qn(f.column) for f in head)}) "
        f"VALUES ({', '.join(['%s'] * len(head))}) RETURNING id) "
        f"INSERT INTO {qn(DocumentLine._meta.db_table)} (document_id, {columns}, seller_name) "
        f"SELECT document.id, {', '.join(f'v.{qn(f.column)}' for f in own)}, COALESCE(s.name, '') "
        f"FROM document CROSS JOIN (VALUES {', '.join([typed] * len(rows))}) AS v ({columns}) "
        f"LEFT JOIN {qn(Seller._meta.db_table)} s ON s.seller_id = v.seller_id RETURNING document_id"
    )
    params = [f.get_db_prep_save(f.pre_save(document, True), connection) for f in head]
    params += [f.get_db_prep_save(getattr(row, f.attname), connection) for row in rows for f in own]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        document.pk = cursor.fetchone()[0]
    document._state.adding, document._state.db = False, connection.alias
