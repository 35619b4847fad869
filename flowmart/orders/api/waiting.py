"""`?wait=<status>&timeout=<seconds>` on GET /orders/{id}/: answer once the order got there.

The answer is the order detail as without the parameters (API.md), only later: when the order
reached `wait`, or will not reach it by itself (flowmart/orders/waiting.py), or `timeout` passed
(then the current state, still 200). The caller is authorised and the order read first, so
another customer's order is 404 at once, before any 400 about the parameters.
"""

import math

from rest_framework import serializers

from .. import selectors, waiting

WAIT = "wait"


class OrderWaitQuerySerializer(serializers.Serializer):
    wait = serializers.ChoiceField(
        choices=[status.value for status in waiting.FORWARD],
        required=False,
        help_text="answer once the order is in this status, or will not get there by itself (cancelled, on hold, "
        "past it, or the payment needs the customer), instead of at once",
    )
    timeout = serializers.FloatField(
        required=False,
        default=waiting.DEFAULT_TIMEOUT,
        min_value=0,
        max_value=waiting.MAX_TIMEOUT,
        help_text=f"seconds to wait at most (default {waiting.DEFAULT_TIMEOUT:g}, at most {waiting.MAX_TIMEOUT:g}); "
        "then the order as it stands, 200",
    )

    def validate_timeout(self, value: float) -> float:
        if math.isnan(value):  # slips past min_value and max_value: every comparison with NaN is false
            raise serializers.ValidationError("A number of seconds.")
        return value


def order_body(customer_id: int, order_id, query_params, serializer_class) -> dict:
    """The order detail to answer: at once, or after waiting as `?wait=` asks.

    A waiting request first reads only the order's state (the ownership check: 404 at once), and
    the whole order once, for the answer: reading it in full before a wait would be thrown away."""
    if WAIT not in query_params:
        return serializer_class(selectors.order_of(customer_id, order_id)).data
    pk, *state = selectors.order_state_of(customer_id, order_id)
    # A plain dict, not the QueryDict: DRF reads a blank form value of an optional field as absent,
    # and `?wait=` must be a 400, not a wait for nothing.
    query = OrderWaitQuerySerializer(
        data={name: query_params[name] for name in (WAIT, "timeout") if name in query_params}
    )
    query.is_valid(raise_exception=True)
    if not waiting.wait_for(pk, tuple(state), query.validated_data["wait"], query.validated_data["timeout"]):
        return serializer_class(selectors.order_of(customer_id, pk)).data
    body = serializer_class(selectors.order_of(customer_id, pk)).data
    # Hundreds of waiters answered in a burst would otherwise each park a fresh PostgreSQL
    # connection in their thread (DB_CONN_MAX_AGE): let it go with the answer.
    waiting.release_connection()
    return body
