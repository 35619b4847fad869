"""What operations staff do to an order from the back office: cancel, refund (whole, an
amount, or per line), release a dispute hold and ask for one of its messages to be resent.

Each goes through the same lifecycle moves and events as the saga (OrderCancelled refunds
what was paid; RefundRequested asks payments), and leaves a StaffAction row saying who,
when and why. The form's one-time `token` makes every action idempotent: a double submit
finds the row written by the first and changes nothing (payments also refunds a
reference once)."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from flowmart.common import display
from flowmart.common.errors import Conflict, InvalidRequest
from flowmart.common.money import Money
from flowmart.contracts.orders import ORDER_MESSAGE_TYPES, NotificationResendRequested, RefundRequested
from flowmart.events import publish

from .. import pricing, tax
from ..models import Order, StaffAction
from ..status import CancellationReason, PaymentStatus, is_changeable
from . import lifecycle

REFUNDABLE = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.DISPUTED})


def _locked(order_id: int) -> Order:
    order = lifecycle.locked(order_id)
    if order is None:
        raise Conflict("No such order.")
    return order


def _why(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidRequest("Say why.", fields={"reason": ["This field is required."]})
    return reason


def _record(order, kind, staff, reason, token, amount=None, detail=None) -> StaffAction:
    return StaffAction.objects.create(
        order=order, kind=kind, staff=staff, reason=reason, token=token, amount=amount, detail=detail or {}
    )


@transaction.atomic
def cancel(order_id: int, *, staff: str, reason: str, token: str) -> StaffAction:
    """Cancel until shipped; OrderCancelled makes payments refund what was paid."""
    reason = _why(reason)
    done = StaffAction.objects.filter(token=token).first()
    if done is not None:
        return done
    order = _locked(order_id)
    if not is_changeable(order):
        raise Conflict(f"An order that is {order.status} can no longer be cancelled.")
    lifecycle.cancel(order, CancellationReason.OPERATIONS, f"cancelled by {staff}: {reason}")
    return _record(order, StaffAction.Kind.CANCEL, staff, reason, token)


def refundable(order: Order) -> Decimal:
    """What may still be refunded: the total less refunds done and refunds asked by staff
    that payments has not confirmed yet."""
    waiting = order.staff_actions.filter(kind=StaffAction.Kind.REFUND, settled=False).aggregate(s=Sum("amount"))["s"]
    return max(order.total - order.refunded - (waiting or Decimal("0")), Decimal("0"))


def refund_settled(reference: str) -> None:
    """PaymentRefunded for a staff refund: it now counts in `order.refunded` instead."""
    if reference.startswith("staff-"):
        StaffAction.objects.filter(token=reference.removeprefix("staff-")).update(settled=True)


def line_refund(order: Order, lines: dict[str, int]) -> Money:
    """The paid share of `lines` ({sku: quantity}), as a return of them would refund."""
    by_sku = {line.sku: line for line in order.lines.all()}
    total, problems = Money.zero(order.currency), []
    for sku, quantity in lines.items():
        line = by_sku.get(sku)
        if line is None or not 0 < quantity <= line.quantity - line.returned_quantity:
            problems.append(f"{sku}: not a refundable quantity")
            continue
        paid = tax.paid_share(order, line)
        total = total + pricing.refund_for(paid, line.quantity, line.returned_quantity, quantity)
    if problems:
        raise InvalidRequest("Some lines cannot be refunded.", fields={"lines": problems})
    return total


@transaction.atomic
def refund(
    order_id: int, *, staff: str, reason: str, token: str, amount: Decimal | None = None, lines: dict | None = None
) -> StaffAction:
    """A full or partial refund: `amount`, or the paid share of `lines`, or (neither) all
    that is left. Payments refunds it once per reference (`staff-<token>`)."""
    reason = _why(reason)
    done = StaffAction.objects.filter(token=token).first()
    if done is not None:
        return done
    order = _locked(order_id)
    if order.payment_status not in REFUNDABLE:
        raise Conflict(f"Nothing to refund: the payment is {order.payment_status}.")
    left = refundable(order)
    wanted = line_refund(order, lines).amount if lines else (amount if amount is not None else left)
    money = Money(wanted, order.currency)  # in the currency's minor units, as payments refunds it
    if money.amount <= 0 or money.amount > left:
        most = display.money(left, order.currency)
        raise InvalidRequest(
            f"A refund must be more than 0 and at most {most}.", fields={"amount": [f"At most {most}."]}
        )
    publish(RefundRequested(order_id=order.pk, reference=f"staff-{token}", amount=money, reason="operations"))
    lifecycle.note(order, f"refund of {money} asked by {staff}: {reason}")
    return _record(order, StaffAction.Kind.REFUND, staff, reason, token, money.amount, {"lines": lines or {}})


@transaction.atomic
def release_hold(order_id: int, *, staff: str, reason: str, token: str) -> StaffAction:
    reason = _why(reason)
    done = StaffAction.objects.filter(token=token).first()
    if done is not None:
        return done
    order = lifecycle.release_dispute_hold(order_id, staff=staff)
    return _record(order, StaffAction.Kind.RELEASE_HOLD, staff, reason, token)


@transaction.atomic
def resend_notification(
    order_id: int, *, staff: str, staff_user_id: int | None, message_type: str, reason: str, token: str
) -> StaffAction:
    """Ask notifications (NotificationResendRequested, in this transaction with the record of
    who and why) to send the order's latest message of `message_type` again; orders never
    sees messages, notifications resends through its own service, once per request."""
    reason = _why(reason)
    done = StaffAction.objects.filter(token=token).first()
    if done is not None:
        return done
    if message_type not in dict(ORDER_MESSAGE_TYPES):
        raise InvalidRequest("Not a message about an order.", fields={"message_type": ["Choose a message."]})
    order = _locked(order_id)
    publish(
        NotificationResendRequested(
            order_id=order.pk, message_type=message_type, requested_by=staff, staff_user_id=staff_user_id, reason=reason
        )
    )
    lifecycle.note(order, f"resend of “{dict(ORDER_MESSAGE_TYPES)[message_type]}” asked by {staff}: {reason}")
    detail = {"message_type": message_type}
    return _record(order, StaffAction.Kind.RESEND_NOTIFICATION, staff, reason, token, detail=detail)
