"""Subscription renewals become ordinary orders that go through the same saga.

One SubscriptionRenewalDue is one order: the customer's renewals due the same day to the
same address, each line with its own plan's discount, one charge, one shipment. The
order's `renewal_key` (unique) and its lines' (subscription, cycle, attempt) (unique)
make a redelivered or re-emitted event a no-op, checked by the database."""

import dataclasses
import logging

from django.db import transaction

from flowmart.common.money import Money
from flowmart.contracts.orders import RenewalLinesLeftOut
from flowmart.contracts.subscriptions import SubscriptionRenewalDue
from flowmart.events import publish

from .. import pricing, selectors
from ..models import Order, OrderLine, SellableVariant
from ..status import CancellationReason, OrderStatus
from .lifecycle import cancel
from .placing import Customer, LineSpec, Payment, place_order

logger = logging.getLogger("flowmart.orders")


@transaction.atomic
def renewal_due(ev: SubscriptionRenewalDue) -> Order | None:
    """One order per renewal key, priced now, each line with its plan's discount. Lines whose
    SKU is no longer for sale are left out and named in RenewalLinesLeftOut (same transaction),
    so each cycle billed by this key gets an outcome, ordered or not."""
    existing = Order.objects.filter(renewal_key=ev.renewal_key).first()
    if existing is not None:
        return existing
    variants = {v.sku: v for v in SellableVariant.objects.filter(sku__in=[line.sku for line in ev.lines], active=True)}
    lines = [_line(variants[line.sku], line) for line in ev.lines if line.sku in variants]
    left_out = tuple(line for line in ev.lines if line.sku not in variants)
    if left_out:
        # Retired after the renewal was emitted: subscriptions records those cycles' outcome.
        logger.warning("renewal %s: %s not for sale; left out", ev.renewal_key, ", ".join(x.sku for x in left_out))

    def left_out_event(order: Order | None) -> list[RenewalLinesLeftOut]:
        order_id = order.pk if order else None
        return [RenewalLinesLeftOut(renewal_key=ev.renewal_key, lines=left_out, order_id=order_id)] if left_out else []

    if not lines:
        publish(*left_out_event(None))
        return None
    # Published before the order's saga starts: subscriptions settles the left-out cycles
    # before the payment outcome of the lines that were ordered reaches it.
    return _place(ev, lines, left_out_event)


def _place(ev: SubscriptionRenewalDue, lines: list[LineSpec], preceding) -> Order:
    currency = lines[0].unit_price.currency
    address = dataclasses.asdict(ev.shipping_address)
    weight = sum(line.weight_grams * line.quantity for line in lines)
    method = pricing.quote(selectors.rate_methods(), ev.shipping_method, address["country"], weight, currency)
    if method is None:
        logger.warning("renewal %s: method %s not quoted; shipped free", ev.renewal_key, ev.shipping_method)
        method = {"code": ev.shipping_method, "carrier": "", "price": Money.zero(currency)}
    subscription_id, cycle, _ = lines[0].renewal  # an ordered line: the first may have been left out
    return place_order(
        Customer(id=ev.customer_id, email=ev.customer_email),
        lines,
        address,
        method,
        Payment(provider=ev.provider, payment_method=ev.payment_method),
        discount_percent=0,  # each line carries its plan's; a SKU added later is not subscribed
        subscription_id=subscription_id,
        renewal_cycle=cycle,
        renewal_key=ev.renewal_key,
        cause=f"renewal {ev.renewal_key} ({len(lines)} subscription line(s))",
        preceding=preceding,
    )


def _line(variant: SellableVariant, line) -> LineSpec:
    return LineSpec(
        sku=variant.sku,
        name=variant.name,
        quantity=line.quantity,
        unit_price=variant.price,
        weight_grams=variant.weight_grams,
        seller_id=variant.seller_id,
        seller_slug=variant.seller_slug,
        seller_name=variant.seller_name,
        discount_percent=line.discount_percent,
        tax_class=variant.tax_class,
        renewal=(line.subscription_id, line.cycle, line.attempt),
    )


@transaction.atomic
def subscription_cancelled(subscription_id: int) -> None:
    """Renewal orders not yet paid are cancelled with the subscription (a grouped order
    holding another, still active subscription's line is cancelled too: subscriptions records
    that line's cycle as skipped, reason order_customer_request)."""
    orders = Order.objects.select_for_update().filter(
        pk__in=OrderLine.objects.filter(subscription_id=subscription_id).values("order_id"),
        status__in=[OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT],
    )
    for order in orders.order_by("pk"):
        cancel(order, CancellationReason.CUSTOMER_REQUEST, f"subscription {subscription_id} cancelled")
