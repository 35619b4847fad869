"""What billing keeps from other contexts' events. Every function tolerates redelivery and
any arrival order: rows are upserts, lines only move forward in time (`lines_as_of`), an owner
once known is never forgotten, and refunds are keyed by payments' refund id."""

import dataclasses
from datetime import datetime

from django.db import connection

from flowmart.contracts.catalog import ProductPublished
from flowmart.contracts.orders import OrderAmended, OrderConfirmed, OrderLine, ReturnRequested
from flowmart.contracts.payments import PaymentProcessed, PaymentRefunded

from ..models import AmendmentCharge, BilledOrder, BilledRefund, RefundBasis, Seller


def locked_order(order_id: int, fresh: BilledOrder | None = None, assignments: str = "") -> BilledOrder:
    """The order's row, created if unheard of, locked for the rest of the transaction (every
    writer of one order queues here, so issuing sees one consistent state). One statement,
    PostgreSQL and SQLite alike: INSERT … ON CONFLICT DO UPDATE (a no-op that takes the row
    lock, or `assignments`: SQL over `b`, the stored row, and `excluded`, `fresh`) … RETURNING
    the row, new or stored (its latest version, also after waiting for a lock). A caller that
    writes what its event brings in `assignments` spares a second statement saving it."""
    fresh = fresh or BilledOrder(order_id=order_id)
    fields = [f for f in BilledOrder._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    table = qn(BilledOrder._meta.db_table)
    key = qn(BilledOrder._meta.get_field("order_id").column)
    rows = BilledOrder.objects.raw(
        f"INSERT INTO {table} AS b ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {assignments or f'{key} = excluded.{key}'} RETURNING *",
        [f.get_db_prep_save(f.pre_save(fresh, True), connection) for f in fields],
    )
    return next(iter(rows))


def _kept_unless_empty(*columns: str) -> list[str]:
    """Assignments that fill these text columns from the event only while they are empty."""
    return [f'"{c}" = CASE WHEN b."{c}" = \'\' THEN excluded."{c}" ELSE b."{c}" END' for c in columns]


def _money(value) -> str | None:
    return None if value is None else str(value.amount)


def line_dict(line: OrderLine) -> dict:
    return {
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": _money(line.unit_price),
        "seller_id": line.seller_id,
        "discount": _money(line.discount),
        "tax": _money(line.tax),
        "tax_included": line.tax_included,  # a tax-inclusive channel: unit_price holds the tax
    }


def _take_lines(order: BilledOrder, lines, as_of: datetime) -> bool:
    """Replace the order's lines unless what is stored is as new or newer."""
    if order.lines_as_of is not None and order.lines_as_of >= as_of:
        return False
    order.lines = [line_dict(line) for line in lines]
    order.lines_as_of = as_of
    return True


def record_confirmed(ev: OrderConfirmed) -> BilledOrder:
    """The order's buyer, destination and currency; its lines and totals unless what is stored
    is as new or newer (an amendment's). One statement (see locked_order)."""
    fresh = BilledOrder(
        order_id=ev.order_id,
        order_number=ev.order_number,
        customer_email=ev.customer_email,
        customer_id=ev.customer_id,
        shipping_address=dataclasses.asdict(ev.shipping_address),
        shipping_method=ev.shipping_method,
        currency=ev.total.currency,
        lines=[line_dict(line) for line in ev.lines],
        lines_as_of=ev.occurred_at,
        shipping=_amount(ev.shipping),
        discount=_amount(ev.discount),
        tax=_amount(ev.tax),
        total=ev.total.amount,
    )
    newer = "b.lines_as_of IS NULL OR b.lines_as_of < excluded.lines_as_of"
    assignments = [
        *(f'"{c}" = excluded."{c}"' for c in ("order_number", "customer_email", "shipping_address", "shipping_method")),
        "currency = excluded.currency",
        # a guest's order may have been claimed already (OrderClaimed first)
        "customer_id = COALESCE(excluded.customer_id, b.customer_id)",
        *(
            f'"{c}" = CASE WHEN {newer} THEN excluded."{c}" ELSE b."{c}" END'
            for c in ("lines", "shipping", "discount", "tax", "total", "lines_as_of")
        ),
    ]
    return locked_order(ev.order_id, fresh, ", ".join(assignments))


def _amount(money):
    return None if money is None else money.amount


def record_amended(ev: OrderAmended) -> None:
    """New lines and total; the units it took away are the basis of the amendment's refund."""
    order = locked_order(ev.order_id)
    if _take_lines(order, ev.lines, ev.occurred_at):
        # OrderAmended carries per-line discount and tax but no order-level split: the shipping
        # line is what the new total holds beyond the lines (see issuing.invoice_lines).
        order.shipping = order.discount = order.tax = None
        order.total = ev.new_total.amount
        order.currency = order.currency or ev.new_total.currency
    order.save()
    # Recorded even when nothing was removed: it also says the amendment is known (see issuing).
    removed = [{"sku": c.sku, "quantity": -c.quantity} for c in ev.changes if c.quantity < 0]
    _basis(ev.order_id, ev.amendment_id, removed, as_of=ev.occurred_at)


def record_return(ev: ReturnRequested) -> None:
    _basis(ev.order_id, ev.return_id, [{"sku": x.sku, "quantity": x.quantity} for x in ev.lines if x.quantity > 0])


def _basis(order_id: int, reference: str, lines: list[dict], as_of=None) -> None:
    RefundBasis.objects.bulk_create(
        [RefundBasis(order_id=order_id, reference=reference, lines=lines, as_of=as_of)], ignore_conflicts=True
    )


def record_amendment_charge(ev: PaymentProcessed) -> None:
    AmendmentCharge.objects.bulk_create(
        [
            AmendmentCharge(
                order_id=ev.order_id,
                amendment_id=ev.amendment_id,
                amount=ev.amount.amount,
                currency=ev.amount.currency,
                charged_at=ev.occurred_at,
            )
        ],
        ignore_conflicts=True,
    )


def record_claimed(order_id: int, customer_id: int) -> None:
    order = locked_order(order_id)
    order.customer_id = customer_id
    order.save(update_fields=["customer_id"])


def record_paid(order_id: int, number: str, customer_id: int | None, email: str, at: datetime) -> BilledOrder:
    """The first payment's time; number, email and owner only where no event brought them yet."""
    fresh = BilledOrder(
        order_id=order_id, order_number=number, customer_id=customer_id, customer_email=email, paid_at=at
    )
    assignments = [
        "paid_at = COALESCE(b.paid_at, excluded.paid_at)",
        "customer_id = COALESCE(b.customer_id, excluded.customer_id)",
        *_kept_unless_empty("order_number", "customer_email"),
    ]
    return locked_order(order_id, fresh, ", ".join(assignments))


def record_refund(ev: PaymentRefunded) -> None:
    BilledRefund.objects.bulk_create(
        [
            BilledRefund(
                order_id=ev.order_id,
                refund_id=ev.refund_id,
                reference=ev.reference,
                reason=ev.reason,
                amount=ev.amount.amount,
                currency=ev.amount.currency,
                refunded_at=ev.occurred_at,
            )
        ],
        ignore_conflicts=True,
    )


def record_seller(ev: ProductPublished) -> None:
    updated = Seller.objects.filter(seller_id=ev.seller_id, as_of__lt=ev.occurred_at).update(
        name=ev.seller_name, as_of=ev.occurred_at
    )
    if not updated:
        Seller.objects.bulk_create(
            [Seller(seller_id=ev.seller_id, name=ev.seller_name, as_of=ev.occurred_at)], ignore_conflicts=True
        )
