"""Subscription renewals become ordinary orders that go through the same saga."""

import dataclasses
import logging

from django.db import transaction

from flowmart.common.money import Money
from flowmart.contracts.subscriptions import SubscriptionRenewalDue

from .. import pricing, selectors
from ..models import Order, SellableVariant
from ..status import CancellationReason, OrderStatus
from .lifecycle import cancel
from .placing import Customer, LineSpec, Payment, place_order

logger = logging.getLogger("flowmart.orders")


@transaction.atomic
def renewal_due(ev: SubscriptionRenewalDue) -> Order | None:
    """One order per (subscription, cycle), priced now, with the plan's discount."""
    existing = Order.objects.filter(subscription_id=ev.subscription_id, renewal_cycle=ev.cycle).first()
    if existing is not None:
        return existing
    variant = SellableVariant.objects.filter(sku=ev.sku, active=True).first()
    if variant is None:
        logger.error("renewal %s/%s: SKU %s is not for sale; no order", ev.subscription_id, ev.cycle, ev.sku)
        return None
    address = dataclasses.asdict(ev.shipping_address)
    weight = variant.weight_grams * ev.quantity
    method = pricing.quote(selectors.rate_methods(), ev.shipping_method, address["country"], weight, variant.currency)
    if method is None:
        logger.warning(
            "renewal %s/%s: method %s not quoted; shipped free", ev.subscription_id, ev.cycle, ev.shipping_method
        )
        method = {"code": ev.shipping_method, "carrier": "", "price": Money.zero(variant.currency)}
    line = LineSpec(
        sku=variant.sku,
        name=variant.name,
        quantity=ev.quantity,
        unit_price=variant.price,
        weight_grams=variant.weight_grams,
        seller_id=variant.seller_id,
        seller_slug=variant.seller_slug,
        seller_name=variant.seller_name,
    )
    return place_order(
        Customer(id=ev.customer_id, email=ev.customer_email),
        [line],
        address,
        method,
        Payment(provider=ev.provider, payment_method=ev.payment_method),
        discount_percent=ev.discount_percent,
        subscription_id=ev.subscription_id,
        renewal_cycle=ev.cycle,
        cause=f"renewal {ev.cycle} of subscription {ev.subscription_id}",
    )


@transaction.atomic
def subscription_cancelled(subscription_id: int) -> None:
    """Renewal orders not yet paid are cancelled with the subscription."""
    orders = Order.objects.select_for_update().filter(
        subscription_id=subscription_id, status__in=[OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT]
    )
    for order in orders.order_by("pk"):
        cancel(order, CancellationReason.CUSTOMER_REQUEST, f"subscription {subscription_id} cancelled")
