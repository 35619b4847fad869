"""Billing in isolation: tests build the contract events other contexts would publish and
hand them to billing's own subscribers (each in its own transaction, as the relay would,
without the inbox, so billing's own idempotency is what is tested)."""

from decimal import Decimal

import pytest
from django.db import transaction

from flowmart.common.money import Money
from flowmart.contracts.common import Address, SkuQuantity
from flowmart.contracts.orders import OrderClaimed, OrderLine, ReturnRequested
from flowmart.events.registry import subscribers_for
from tests.support import contract_events

ADDRESS = Address(
    name="Ada Lovelace", line1="12 Analytical Row", line2="", city="Boston", postal_code="02108", country="US", phone=""
)


@pytest.fixture(autouse=True)
def _documents_in_tmp(settings, tmp_path):
    """PDFs are written through default_storage: keep them out of the repository."""
    settings.MEDIA_ROOT = tmp_path / "media"


def deliver(event) -> None:
    """Run billing's subscribers for event, each in its own transaction."""
    for sub in subscribers_for(event.name):
        if sub.context == "billing" and sub.wants(event):
            with transaction.atomic():
                sub.handler(event)


def usd(amount) -> Money:
    return Money(Decimal(str(amount)), "USD")


def line(sku, quantity, price, *, seller_id=1, discount="0", tax="0"):
    return OrderLine(
        sku=sku,
        name=f"{sku} name",
        quantity=quantity,
        unit_price=usd(price),
        seller_id=seller_id,
        discount=usd(discount),
        tax=usd(tax),
    )


# Two lines: 2 × 19.99 (discount 4.00, tax 2.88) and 1 × 5.00 (tax 0.40); shipping 4.99.
# subtotal 44.98 - discount 4.00 + tax 3.28 + shipping 4.99 = total 49.25
LINES = (line("MUG-1", 2, "19.99", discount="4.00", tax="2.88"), line("TEA-1", 1, "5.00", seller_id=2, tax="0.40"))


def confirmed(
    order_id, *, customer_id=7, email="ada@example.com", lines=LINES, shipping="4.99", discount="4.00", tax="3.28"
):
    subtotal = sum((x.unit_price * x.quantity for x in lines), usd(0))
    return contract_events.order_confirmed(
        order_id,
        lines,
        customer_id=customer_id,
        email=email,
        address=ADDRESS,
        number=f"FM-{order_id:06d}",
        total=subtotal - usd(discount) + usd(tax) + usd(shipping),
        subtotal=subtotal,
        shipping=usd(shipping),
        discount=usd(discount),
        tax=usd(tax),
    )


def paid(order_id, *, customer_id=7, email="ada@example.com"):
    number = f"FM-{order_id:06d}"
    return contract_events.order_status_changed(
        order_id, "paid", "awaiting_payment", customer_id=customer_id, email=email, number=number
    )


def refunded(order_id, refund_id, amount, *, reason="operations", reference="", fully=False):
    return contract_events.payment_refunded(
        order_id,
        amount,
        payment_id=order_id,
        refund_id=refund_id,
        reason=reason,
        reference=reference or f"ref-{refund_id}",
        fully_refunded=fully,
    )


def return_requested(order_id, return_id, lines):
    return ReturnRequested(
        order_id=order_id,
        return_id=return_id,
        lines=tuple(SkuQuantity(sku=s, quantity=q) for s, q in lines),
        reason="damaged",
        shipping_address=ADDRESS,
    )


def amended(order_id, amendment_id, lines, changes, new_total, old_total="49.25"):
    return contract_events.order_amended(
        order_id, amendment_id, old_total=old_total, new_total=new_total, lines=lines, changes=changes
    )


def claimed(order_id, customer_id, email="guest@example.com"):
    return OrderClaimed(order_id=order_id, customer_id=customer_id, email=email)


def paid_order(order_id, **kwargs):
    """An order confirmed and paid, as billing hears of it."""
    deliver(confirmed(order_id, **kwargs))
    deliver(paid(order_id, customer_id=kwargs.get("customer_id", 7), email=kwargs.get("email", "ada@example.com")))


def amendment_charged(order_id, amendment_id, amount):
    return contract_events.payment_processed(order_id, payment_id=order_id, amount=amount, amendment_id=amendment_id)
