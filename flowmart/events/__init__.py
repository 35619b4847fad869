"""The domain-event dispatcher (shared kernel).

from flowmart.events import publish
publish(OrderConfirmed(order_id=..., ...))   # inside transaction.atomic()
"""


def publish(*events):
    from .publisher import publish as _publish

    return _publish(*events)
