"""Waiting for an order's status instead of polling for it (GET /orders/{id}/?wait=paid).

Every committed status move announces the order's new state on the channel `orders:<id>`
(lifecycle calls announce()). A waiting request subscribes, re-reads the order once (a move
committed between its first read and its subscription is seen there), gives its database
connection back, and sleeps on the channel until the order arrives or the timeout passes.

When does a wait end? When the order reaches the wanted status, or when it will not get there
by itself: it left the forward path (cancelled, on hold for fraud review or a dispute), went
past the wanted status, or waits for the customer (the payment needs their authentication).
So `wait=paid` also answers a declined card, an out-of-stock order and a 3-D Secure challenge
at once: a client never hangs on an order that will not move.
"""

import time

from django.db import connection

from flowmart.common import wakeups

from .models import Order
from .status import OrderStatus, PaymentStatus

S = OrderStatus

# The way an order moves by itself (saga, warehouse, carrier); cancelled and on_hold leave it.
FORWARD = (S.PENDING, S.AWAITING_PAYMENT, S.PAID, S.SHIPPED, S.DELIVERED, S.RETURNED)
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 30.0


def channel(order_id: int) -> str:
    return f"orders:{order_id}"


def announce(order: Order) -> None:
    """Wake the order's waiters once this transaction commits (called where status moves are saved)."""
    announce_state(order.pk, order.status, order.payment_status)


def announce_state(order_id: int, status: str, payment_status: str) -> None:
    """announce() for a move saved without loading the order (lifecycle.move_at_once)."""
    wakeups.notify_on_commit(channel(order_id), {"status": status, "payment_status": payment_status})


def on_the_way(status: str, payment_status: str, wanted: str) -> bool:
    """Whether an order in this state is still moving towards `wanted` by itself (keep waiting)."""
    if status not in FORWARD or payment_status == PaymentStatus.REQUIRES_ACTION:
        return False
    return FORWARD.index(status) < FORWARD.index(wanted)


def _state(order_id: int) -> tuple[str, str]:
    return tuple(Order.objects.filter(pk=order_id).values_list("status", "payment_status").get())


def release_connection() -> None:
    """Give the database connection back while the request sleeps: a thousand waiting clients
    must not hold a thousand PostgreSQL backends. The next query opens a fresh one. Inside a
    transaction (never the case for a GET; only tests wrap requests in one) it must stay."""
    if not connection.in_atomic_block:
        connection.close()


def wait_for(order_id: int, state: tuple[str, str], wanted: str, timeout: float) -> bool:
    """Block until the order (its `state`: status and payment status, as read) is no longer on
    its way to `wanted`, or `timeout` seconds passed.

    True when it waited (the state may have moved), False when it did not wait at all (the state
    read is the answer). No database connection is held while asleep.
    """
    if not on_the_way(*state, wanted) or timeout <= 0:
        return False
    listener = wakeups.listen(channel(order_id))
    if listener is None:  # this process holds all the waiters it may: answer as a poll would
        return False
    deadline = time.monotonic() + timeout
    with listener:
        state = _state(order_id)  # subscribed first: nothing committed after this read goes unheard
        release_connection()
        while on_the_way(*state, wanted) and (left := deadline - time.monotonic()) > 0:
            message = listener.next(left)
            if message is not None:
                state = (message["status"], message["payment_status"])
            elif not listener.live:  # Redis is down: look for ourselves, then let go again
                state = _state(order_id)
                release_connection()
    return True
