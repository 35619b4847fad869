"""Returns after delivery, as shipping reports them: label issued, parcel received.
A received parcel refunds its lines' paid share (shipping is not refunded)."""

import logging
from collections import Counter

from django.db import transaction

from flowmart.common.money import Money
from flowmart.contracts.common import SkuQuantity
from flowmart.contracts.orders import RefundRequested
from flowmart.events import publish

from .. import pricing, tax
from ..models import OrderLine, OrderReturn
from ..status import OrderStatus
from .lifecycle import locked, move, note

logger = logging.getLogger("flowmart.orders")


@transaction.atomic
def return_initiated(return_id: str, tracking_number: str, label_url: str) -> None:
    OrderReturn.objects.filter(return_id=return_id, status=OrderReturn.Status.REQUESTED).update(
        status=OrderReturn.Status.INITIATED, tracking_number=tracking_number, label_url=label_url
    )


@transaction.atomic
def return_received(order_id: int, return_id: str, received: list[tuple[str, int]]) -> None:
    order = locked(order_id)
    if order is None:
        return
    ret = OrderReturn.objects.select_for_update().filter(return_id=return_id, order=order).first()
    if ret is not None and ret.status == OrderReturn.Status.RECEIVED:
        logger.warning("return %s of order %s was already received; ignored", return_id, order_id)
        return
    quantities = Counter()
    for sku, quantity in received:
        quantities[sku] += quantity
    lines = {line.sku: line for line in order.lines.all()}
    refund, changed, returned = Money.zero(order.currency), [], []
    for sku, quantity in quantities.items():
        line = lines.get(sku)
        taking = min(quantity, line.quantity - line.returned_quantity) if line else 0
        if taking <= 0:
            logger.warning("return %s: %s × %s not refundable for order %s", return_id, quantity, sku, order_id)
            continue
        paid = tax.paid_share(order, line)
        refund = refund + pricing.refund_for(paid, line.quantity, line.returned_quantity, taking)
        line.returned_quantity += taking
        changed.append(line)
        returned.append(SkuQuantity(sku=sku, quantity=taking))
    OrderLine.objects.bulk_update(changed, ["returned_quantity"])
    if ret is None:  # shipping received a parcel we never asked for: still refund what came back
        ret = OrderReturn(order=order, return_id=return_id, lines=[], reason="received without a request")
    ret.status, ret.refund_amount = OrderReturn.Status.RECEIVED, refund.amount
    ret.save()
    note(order, f"return {return_id} received: refund {refund}")
    if refund:
        publish(
            RefundRequested(
                order_id=order.pk, reference=return_id, amount=refund, reason="return", lines=tuple(returned)
            )
        )
    if all(line.returned_quantity >= line.quantity for line in lines.values()):
        move(order, OrderStatus.RETURNED, "all items returned")
