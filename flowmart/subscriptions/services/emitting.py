"""Turning renewal attempts into renewal orders: grouping and the SubscriptionRenewalDue events.

Every path that bills (the first order, the billing run, ship now, a dunning or stock
retry, a retry after a card change) comes through `emit`, inside the caller's
transaction: the attempt rows, the batch rows and the events commit together or not at all.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from flowmart.common.bulk import copy_insert
from flowmart.common.money import Money
from flowmart.contracts.common import Address
from flowmart.contracts.subscriptions import RenewalLine, SubscriptionRenewalDue
from flowmart.events import publish

from ..calendar import local_day
from ..models import HUNDRED, RenewalAttempt, RenewalBatch, Subscription, Variant, key_of

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "country", "phone", "region")


@dataclass(frozen=True)
class Due:
    """One renewal to bill now: attempt number `attempt` of (subscription, cycle)."""

    sub: Subscription
    renewal_id: int
    cycle: int
    attempt: int
    moment: datetime  # the moment billed (due moment, retry moment): its local day groups


def group_key(due: Due) -> tuple:
    """Renewals with the same key become one order: same customer, same local day, same
    address, shipping method and card (one shipment, one charge)."""
    sub = due.sub
    address = tuple(str(sub.shipping_address.get(f) or "") for f in ADDRESS_FIELDS)
    day = local_day(due.moment, sub.time_zone)
    return (sub.customer_id, day, address, sub.shipping_method, sub.provider, sub.payment_method)


def emit(dues: list[Due], kind: str) -> list[int]:
    """Group, write one batch per group and one attempt per renewal, publish one event per
    batch; returns the batch ids. Rows are written with COPY on PostgreSQL (flowmart.common.bulk)."""
    groups: dict[tuple, list[Due]] = defaultdict(list)
    for due in dues:
        groups[group_key(due)].append(due)
    if not groups:
        return []
    now = timezone.now()
    members = list(groups.values())
    batch_ids = copy_insert(
        RenewalBatch,
        ["customer_id", "kind", "outcome", "failure_code", "created_at"],
        [(group[0].sub.customer_id, kind, "placed", "", now) for group in members],
    )
    copy_insert(
        RenewalAttempt,
        ["renewal_id", "number", "batch_id", "status", "failure_code", "created_at"],
        [
            (due.renewal_id, due.attempt, batch_id, "pending", "", now)
            for batch_id, group in zip(batch_ids, members, strict=True)
            for due in group
        ],
    )
    publish(*(_event(key_of(batch_id), group) for batch_id, group in zip(batch_ids, members, strict=True)))
    return batch_ids


def _event(renewal_key: str, members: list[Due]) -> SubscriptionRenewalDue:
    sub = members[0].sub
    return SubscriptionRenewalDue(
        renewal_key=renewal_key,
        customer_id=sub.customer_id,
        customer_email=sub.customer_email,
        lines=tuple(
            RenewalLine(
                subscription_id=due.sub.pk,
                cycle=due.cycle,
                attempt=due.attempt,
                sku=due.sub.plan.sku,
                quantity=due.sub.quantity,
                discount_percent=due.sub.plan.discount_percent,
            )
            for due in members
        ),
        shipping_address=address_of(sub.shipping_address),
        shipping_method=sub.shipping_method,
        provider=sub.provider,
        payment_method=sub.payment_method,
    )


def address_of(data: dict) -> Address:
    return Address(**{f: str(data.get(f) or "") for f in ADDRESS_FIELDS})


def renewal_price(sub: Subscription, variant: Variant | None = None) -> Money | None:
    """The goods of one renewal at today's price with the plan's discount (shipping and tax
    are added by orders for the destination)."""
    variant = variant or Variant.objects.filter(sku=sub.plan.sku).first()
    if variant is None:
        return None
    gross = variant.price * sub.quantity
    return Money(gross - gross * sub.plan.discount_percent / HUNDRED, variant.currency)


def action_url(subscription_id: int) -> str:
    """Where the customer authenticates a renewal or changes the card (the storefront's page)."""
    base = (getattr(settings, "STOREFRONT_URL", "") or "").rstrip("/")
    return f"{base}/account/subscriptions/{subscription_id}/payment/"
