""" "Tell me when it is back in stock": customers wait for a sold-out variant; the
InventoryAdjusted that makes it available again sends each of them one message, once."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from flowmart.common.errors import Conflict

from .. import links
from ..models import BackInStockRequest, ProductCopy, SkuCopy
from . import composing, projections
from .composing import Source


class UnknownVariant(LookupError):
    pass


def request(customer_id: int, product_id: int, sku: str) -> tuple[BackInStockRequest, bool]:
    """Register the wish; (request, created). A repeated wish returns the waiting one.
    UnknownVariant for a product or SKU we do not sell; Conflict when it is in stock now."""
    product = ProductCopy.objects.filter(product_id=product_id, active=True).first()
    variant = SkuCopy.objects.filter(sku=sku, product_id=product_id, active=True).first()
    if product is None or variant is None:
        raise UnknownVariant(sku)
    if variant.available:
        # Not how many: the copy follows in and out of stock, not each reservation (handlers.py).
        raise Conflict(f"{sku} is in stock now; order it straight away.")
    waiting = BackInStockRequest.objects.filter(
        customer_id=customer_id, sku=sku, status=BackInStockRequest.Status.WAITING
    )
    existing = waiting.first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return BackInStockRequest.objects.create(customer_id=customer_id, product_id=product_id, sku=sku), True
    except IntegrityError:  # the same customer's twin request won the race
        return waiting.get(), False


def stock_changed(ev) -> None:
    """InventoryAdjusted: keep the availability copy, then tell everyone waiting for a SKU
    this report shows available (the copy's upsert says which SKUs anyone waits for).
    Requests (of all those SKUs, one query) are locked and marked in this transaction,
    so a second event (or a second worker) finds nobody left to tell."""
    available = projections.keep_levels(ev.levels, ev.occurred_at, waited_for=True)
    if not available:
        return
    waiting_by_sku: dict[str, list[BackInStockRequest]] = {}
    for wish in (
        BackInStockRequest.objects.select_for_update()
        .filter(sku__in=available, status=BackInStockRequest.Status.WAITING)
        .order_by("pk")
    ):
        waiting_by_sku.setdefault(wish.sku, []).append(wish)
    for sku, waiting in sorted(waiting_by_sku.items()):
        variant = SkuCopy.objects.get(sku=sku)
        product = ProductCopy.objects.filter(product_id=variant.product_id).first()
        context = {
            "sku": sku,
            "variant_name": variant.name,
            "product": {
                "name": product.name if product else variant.name,
                "url": links.product_url(product.slug) if product else links.storefront_url("/"),
            },
        }
        recipients = [composing.customer(r.customer_id) for r in waiting]
        composing.queue(Source.of(ev), "back_in_stock", recipients, context)
        BackInStockRequest.objects.filter(pk__in=[r.pk for r in waiting]).update(
            status=BackInStockRequest.Status.NOTIFIED, notified_at=timezone.now(), notified_by_event=ev.event_id
        )
