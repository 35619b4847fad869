"""Redacting an erased customer's personal data from the outbox (docs/privacy.md).

The outbox is append-only as an audit trail of what happened; an erasure is the one exception:
the payloads of the customer's events (those naming their `customer_id`, and those naming one
of the orders those events name) keep their shape, ids, amounts and SKUs, while emails, names,
phones, addresses (all but the country), client IPs, cart tokens and sealed tokens are
replaced. A redacted payload still parses into its contract, so a pending delivery or a replay
works; it simply carries no person any more.
"""

from flowmart.common import privacy

from .models import OutboxEvent

EMAIL_KEYS = frozenset({"email", "customer_email", "previous_email", "new_email", "current_email"})
BLANK_KEYS = frozenset({"first_name", "last_name", "phone", "client_ip", "cart_token", "sealed_token"})
ADDRESS_KEYS = frozenset({"address", "shipping_address", "sender_address", "destination", "billing_address"})


def redact(value, placeholder: str):
    """The payload with every personal field replaced, recursively (lists and nested values)."""
    if isinstance(value, list):
        return [redact(item, placeholder) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in EMAIL_KEYS and isinstance(item, str):
            out[key] = placeholder if item else ""
        elif key in BLANK_KEYS and isinstance(item, str):
            out[key] = ""
        elif key in ADDRESS_KEYS and isinstance(item, dict):
            out[key] = privacy.anonymise_address(item)
        else:
            out[key] = redact(item, placeholder)
    return out


def redact_customer(customer_id: int) -> int:
    """Redact the customer's events in the caller's transaction; returns how many changed."""
    placeholder = privacy.erased_email(customer_id)
    theirs = list(OutboxEvent.objects.filter(payload__customer_id=customer_id).only("pk", "payload"))
    order_ids = {e.payload["order_id"] for e in theirs if isinstance(e.payload.get("order_id"), int)}
    seen = {e.pk for e in theirs}
    if order_ids:
        theirs += [
            e
            for e in OutboxEvent.objects.filter(payload__order_id__in=sorted(order_ids)).only("pk", "payload")
            if e.pk not in seen
        ]
    changed = 0
    for row in theirs:
        redacted = redact(row.payload, placeholder)
        if redacted != row.payload:
            OutboxEvent.objects.filter(pk=row.pk).update(payload=redacted)
            changed += 1
    return changed
