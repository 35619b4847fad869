"""The order's status moves, driven by the saga's events.

`move()` is the only place a status changes (`move_at_once()`, its one-statement form for
the saga's everyday moves, keeps its rules): it consults the transition table,
writes the timeline, and publishes OrderStatusChanged (and OrderCancelled when the
order is cancelled). Events that would need a move the table refuses are stale:
logged and ignored, never an error.
"""

import functools
import logging

from django.db import connection, transaction
from django.utils import timezone

from flowmart.common.errors import Conflict
from flowmart.common.money import Money
from flowmart.contracts.orders import OrderCancelled, OrderStatusChanged, RefundRequested
from flowmart.events import publish

from .. import waiting
from ..models import Order, OrderTimelineEntry
from ..status import CHANGEABLE, TRANSITIONS, CancellationReason, OrderStatus, PaymentStatus, can_move

logger = logging.getLogger("flowmart.orders")

# The saga's subscribers (stock_reserved ... reservation_expired below) run inside their delivery's
# transaction or savepoint (events/relay.py), together with its claim and inbox row: a failure must
# fail the whole delivery anyway, so a savepoint of their own would only add SAVEPOINT and RELEASE
# to every event. Called with no transaction open (a shell, a test), this opens one.
in_delivery = transaction.atomic(savepoint=False)


def locked(order_id: int | None) -> Order | None:
    """The order row, locked for this transaction (None for an order we do not know)."""
    if order_id is None:
        return None
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        logger.warning("event for unknown order %s ignored", order_id)
    return order


def note(order: Order, text: str) -> None:
    OrderTimelineEntry.objects.create(order=order, event=text)


# Before payment, a 3-D Secure challenge the customer is asked to answer stays asked.
KEEPS_NEXT_ACTION = frozenset({OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT})


def move(order: Order, target: str, cause: str, reason: str | None = None) -> bool:
    """Change the order's status if the table allows it; False (and a log line) if not."""
    if not can_move(order.status, target):
        logger.warning(
            "order %s: %s → %s refused (%s); stale or illegal, ignored", order.pk, order.status, target, cause
        )
        return False
    previous = order.status
    order.status = target
    if target == OrderStatus.CANCELLED:
        order.cancellation_reason = reason
    if target not in KEEPS_NEXT_ACTION:
        order.next_action = None  # paid, held or cancelled: nothing is asked of the customer any more
    order.save(
        update_fields=["status", "cancellation_reason", "payment_status", "held_from", "next_action", "updated_at"]
    )
    _moved(order, previous, cause, reason)
    return True


def _moved(order: Order, previous: str, cause: str, reason: str | None = None) -> None:
    """What follows every saved move: the timeline, the waiting clients, the events."""
    target = order.status
    note(order, f"{target}: {cause}")
    waiting.announce(order)  # after commit: clients waiting on GET /orders/{id}/?wait= answer now
    events = [
        OrderStatusChanged(
            order_id=order.pk,
            order_number=order.number,
            customer_id=order.customer_id,
            customer_email=order.customer_email,
            status=target,
            previous_status=previous,
            cancellation_reason=order.cancellation_reason,
            renewal_key=order.renewal_key,
        )
    ]
    if target == OrderStatus.CANCELLED:
        events.append(OrderCancelled(order_id=order.pk, reason=reason))
    publish(*events)


def move_at_once(order_id: int | None, target: str, cause: str, **columns) -> bool:
    """move() in one statement, for the saga's everyday moves (not cancellations): on PostgreSQL,
    UPDATE … RETURNING moves the order to `target` when the transition table allows it from the
    status it has now and no dispute holds it (`columns`: more to set, e.g. payment_status), and
    the same statement's data-modifying CTE writes move()'s timeline entry for the moved row
    (none when nothing moved): one round trip instead of two.
    Its sub-select locks the row before the rule is checked on it, so a concurrent event waits
    and then sees this move, as under locked(); the old status comes back for the event.
    False, with nothing written, when the rule refuses or on SQLite: the caller then decides
    under locked(), as before (and logs a stale event there)."""
    if order_id is None or connection.vendor != "postgresql":
        return False
    now = timezone.now()
    values = {"status": target, **columns, "updated_at": now}
    if target not in KEEPS_NEXT_ACTION:
        values["next_action"] = None
    sources = sorted(status for status, targets in TRANSITIONS.items() if target in targets)
    with connection.cursor() as cursor:
        cursor.execute(
            _move_sql(tuple(values), len(sources)), [*values.values(), order_id, *sources, now, f"{target}: {cause}"]
        )
        row = cursor.fetchone()
    if row is None:
        return False
    pk, number, customer_id, customer_email, status, payment_status, reason, renewal_key, previous = row
    waiting.announce_state(pk, status, payment_status)
    publish(
        OrderStatusChanged(
            order_id=pk,
            order_number=number,
            customer_id=customer_id,
            customer_email=customer_email,
            status=status,
            previous_status=previous,
            cancellation_reason=reason,
            renewal_key=renewal_key,
        )
    )
    return True


@functools.cache
def _move_sql(names: tuple[str, ...], sources: int) -> str:
    """move_at_once()'s statement for these columns (built once per shape): the move, its
    timeline entry (INSERT … SELECT from the moved row), and what OrderStatusChanged needs."""
    order, entry, quote = Order._meta.db_table, OrderTimelineEntry._meta.db_table, connection.ops.quote_name
    return (
        f"WITH moved AS (UPDATE {order} AS o SET {', '.join(f'{quote(name)} = %s' for name in names)} "
        f"FROM (SELECT id, status, held_from FROM {order} WHERE id = %s FOR UPDATE) AS old "
        f"WHERE o.id = old.id AND old.status IN ({', '.join(['%s'] * sources)}) AND old.held_from = '' "
        "RETURNING o.id, o.number, o.customer_id, o.customer_email, o.status, o.payment_status, "
        "o.cancellation_reason, o.renewal_key, old.status AS status_before), "
        f"noted AS (INSERT INTO {entry} (order_id, at, event) SELECT id, %s, %s FROM moved) "
        "SELECT * FROM moved"
    )


def cancel(order: Order, reason: str, cause: str) -> bool:
    return move(order, OrderStatus.CANCELLED, cause, reason)


@in_delivery
def stock_reserved(order_id: int) -> None:
    if move_at_once(order_id, OrderStatus.AWAITING_PAYMENT, "stock reserved"):
        return
    order = locked(order_id)
    if order is not None:
        move(order, OrderStatus.AWAITING_PAYMENT, "stock reserved")


@in_delivery
def stock_refused(order_id: int, skus: tuple[str, ...]) -> None:
    order = locked(order_id)
    if order is None:
        return
    if order.status != OrderStatus.PENDING:
        # Only an order still waiting for its reservation can be refused one; anything later is stale.
        logger.warning("order %s is %s: OutOfStock for it is stale, ignored", order.pk, order.status)
        return
    cancel(order, CancellationReason.OUT_OF_STOCK, f"out of stock ({', '.join(skus)})")


@in_delivery
def payment_processed(order_id: int, payment_id: int, succeeded: bool, amount: Money, failure_code: str | None) -> None:
    # Paid on its way (not cancelled nor held for a dispute): what _payment_succeeded does, at once.
    if succeeded and move_at_once(order_id, OrderStatus.PAID, "payment succeeded", payment_status=PaymentStatus.PAID):
        return
    order = locked(order_id)
    if order is None:
        return
    if succeeded:
        _payment_succeeded(order, payment_id, amount)
    elif order.status in (OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD):
        order.payment_status = PaymentStatus.FAILED
        if failure_code == "fraudulent":
            cancel(order, CancellationReason.FRAUD_REJECTED, "payment rejected as fraudulent")
        else:
            cancel(order, CancellationReason.PAYMENT_FAILED, f"payment failed ({failure_code or 'unknown'})")
    else:
        # e.g. the extra charge of an amendment on a paid order: the order stands.
        note(order, f"payment {payment_id} failed ({failure_code or 'unknown'})")
        logger.warning("order %s (%s): failed payment %s noted", order.pk, order.status, payment_id)


def _payment_succeeded(order: Order, payment_id: int, amount: Money) -> None:
    if order.status == OrderStatus.CANCELLED:
        # The money arrived after we gave up on the order: give it back.
        note(order, f"late payment {payment_id} refunded")
        publish(
            RefundRequested(
                order_id=order.pk, reference=f"late-payment-{payment_id}", amount=amount, reason="order_cancelled"
            )
        )
        return
    if order.held_from:  # held for a dispute: only operations release it
        note(order, f"payment {payment_id} succeeded while held for a dispute; still on hold")
        return
    if order.status in CHANGEABLE:
        order.payment_status = PaymentStatus.PAID
        order.next_action = None
    if not move(order, OrderStatus.PAID, "payment succeeded") and order.status in CHANGEABLE:
        order.save(update_fields=["payment_status", "next_action", "updated_at"])


@in_delivery
def amendment_payment(
    order_id: int, amendment_id: str, succeeded: bool, amount: Money, failure_code: str | None
) -> None:
    """The extra charge of an amendment: noted on the timeline; it never moves the order."""
    order = locked(order_id)
    if order is not None:
        outcome = "succeeded" if succeeded else f"failed ({failure_code or 'unknown'})"
        note(order, f"extra charge of {amount} for amendment {amendment_id} {outcome}")
        if succeeded and order.payment_status in (PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED):
            # The customer paid the amended total: what was given back before no longer describes it.
            order.payment_status = PaymentStatus.PAID
            order.save(update_fields=["payment_status", "updated_at"])


@in_delivery
def payment_held(order_id: int, score: int) -> None:
    order = locked(order_id)
    if order is not None:
        move(order, OrderStatus.ON_HOLD, f"payment held for fraud review (score {score})")


def next_action(redirect_url: str | None, client_secret: str | None, provider: str) -> dict | None:
    """API.md's `next_action`: Stripe.js takes the client secret (`use_stripe_sdk`); every other
    provider (the dummy's page, a bank's redirect) sends the customer to a URL."""
    if client_secret and provider == "stripe":
        return {"type": "use_stripe_sdk", "client_secret": client_secret}
    if redirect_url:
        return {"type": "redirect_to_url", "redirect_url": redirect_url}
    if client_secret:
        return {"type": "use_stripe_sdk", "client_secret": client_secret}
    return None


@in_delivery
def payment_needs_action(
    order_id: int, redirect_url: str | None = None, client_secret: str | None = None, provider: str = ""
) -> None:
    order = locked(order_id)
    if order is not None and order.payment_status == PaymentStatus.PENDING:
        order.payment_status = PaymentStatus.REQUIRES_ACTION
        order.next_action = next_action(redirect_url, client_secret, provider)
        order.save(update_fields=["payment_status", "next_action", "updated_at"])
        note(order, "payment needs customer authentication")
        waiting.announce(order)  # a waiting client must learn that the customer is asked to act


@in_delivery
def payment_refunded(order_id: int, amount: Money, reason: str, fully_refunded: bool = False) -> None:
    order = locked(order_id)
    if order is None:
        return
    order.refunded += amount.amount
    if reason == AMENDMENT_REFUND and not fully_refunded:
        # The order's total went down by what came back: the customer has paid exactly what the
        # order now costs, so it stays paid (partially_refunded is for money back on goods kept
        # from the customer: returns, refunds at the provider).
        order.save(update_fields=["refunded", "updated_at"])
        note(order, f"refunded {amount} ({reason})")
        return
    whole = fully_refunded or order.refunded >= order.total
    order.payment_status = PaymentStatus.REFUNDED if whole else PaymentStatus.PARTIALLY_REFUNDED
    order.save(update_fields=["refunded", "payment_status", "updated_at"])
    note(order, f"refunded {amount} ({reason})")
    if fully_refunded:
        _stop_fulfilment(order, reason)


AMENDMENT_REFUND = "order_amended"  # payments' reason for the refund of an amendment's decrease

STOPPABLE = frozenset({OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT, OrderStatus.ON_HOLD, OrderStatus.PAID})


def _stop_fulfilment(order: Order, reason: str) -> None:
    """Nothing of the payment is left (e.g. refunded on Stripe's dashboard): goods must not
    ship for it. Before anything left a warehouse the order is cancelled (payment_refunded),
    so shipping voids its parcels and inventory releases the stock. After a parcel left, the
    order cannot be cancelled: a paid or shipped order goes on hold for operations (as for a
    dispute) and a delivered one only notes it. Orders we already closed (cancelled, returned)
    refunded themselves: nothing to do."""
    left = order.shipments.exclude(status__in=("created", "voided")).exists()
    if not left and order.status in STOPPABLE and order.held_from in ("", OrderStatus.PAID):
        order.held_from = ""
        cancel(order, CancellationReason.PAYMENT_REFUNDED, f"payment refunded in full ({reason}); fulfilment stopped")
    elif left and order.status in (OrderStatus.PAID, OrderStatus.SHIPPED) and not order.held_from:
        logger.warning("order %s refunded in full after dispatch: on hold for operations", order.pk)
        order.held_from = order.status
        move(order, OrderStatus.ON_HOLD, f"payment refunded in full ({reason}) after dispatch; on hold for operations")
    elif left:
        note(order, "payment refunded in full after dispatch; the parcels were not stopped")


DISPUTABLE = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED})


@in_delivery
def payment_disputed(order_id: int, amount: Money, reason: str) -> None:
    """The bank opened a dispute: the order goes on hold for operations, remembering where it
    was. Shipment events keep updating its shipments meanwhile but do not move it."""
    order = locked(order_id)
    if order is None:
        return
    order.payment_status = PaymentStatus.DISPUTED
    cause = f"payment of {amount} disputed ({reason}); on hold for operations"
    if order.status in DISPUTABLE:
        order.held_from = order.status
        move(order, OrderStatus.ON_HOLD, cause)
    else:  # already on hold, cancelled or returned: the dispute is noted, the status stays
        order.save(update_fields=["payment_status", "updated_at"])
        note(order, cause)


@transaction.atomic
def release_dispute_hold(order_id: int, staff: str) -> Order:
    """Operations settled the dispute: the order returns to where its shipments say it is."""
    order = locked(order_id)
    if order is None or order.status != OrderStatus.ON_HOLD or not order.held_from:
        raise Conflict("Only an order held for a payment dispute can be released.")
    live = [s.status for s in order.shipments.all() if s.status != "voided"]
    if live and all(s == "delivered" for s in live):
        target = OrderStatus.DELIVERED
    elif live and all(s != "created" for s in live):
        target = OrderStatus.SHIPPED
    else:
        target = OrderStatus.PAID
    order.held_from = ""
    move(order, target, f"dispute hold released by {staff}")
    return order


@in_delivery
def reservation_expired(order_id: int) -> None:
    order = locked(order_id)
    if order is not None:
        cancel(order, CancellationReason.EXPIRED, "stock reservation expired")
