"""Messages for sellers and operations: fraud reviews and disputes as they happen, and
digests (stock alerts per seller, dead event deliveries) once per period from beat.

Digests are keyed by (what, seller, period start): a beat job that fires twice, or two
beat processes, write the same key and the unique constraint keeps one. A seller's first
alert goes out within a sweep; later ones in the same period wait for the next period.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from flowmart.events.models import Delivery

from .. import links
from ..models import Message, OrderCopy, ReportedDeadDelivery, SellerContact, SkuCopy, StockAlert
from . import composing
from .composing import Source

# --- operations, as it happens ----------------------------------------------------------


def _order_number(order_id: int) -> str:
    order = OrderCopy.objects.filter(order_id=order_id).first()
    return order.number if order and order.number else str(order_id)


def fraud_review(ev) -> None:
    context = {
        "order_id": ev.order_id,
        "order_number": _order_number(ev.order_id),
        "payment_id": ev.payment_id,
        "score": ev.score,
        "reasons": list(ev.reasons),
        "admin_url": links.admin_url(f"payments/payment/{ev.payment_id}/change/"),
    }
    composing.queue(Source.of(ev), "fraud_review", composing.operations(), context)


def payment_disputed(ev) -> None:
    context = {
        "order_id": ev.order_id,
        "order_number": _order_number(ev.order_id),
        "payment_id": ev.payment_id,
        "amount": ev.amount.to_dict(),
        "reason": ev.reason,
        "admin_url": links.admin_url(f"payments/payment/{ev.payment_id}/change/"),
    }
    composing.queue(Source.of(ev), "payment_disputed", composing.operations(), context)


# --- stock alerts, one digest per seller per period -------------------------------------


def record_low_stock(ev) -> None:
    StockAlert.objects.bulk_create(
        [
            StockAlert(
                event_id=ev.event_id,
                kind=StockAlert.Kind.LOW_STOCK,
                sku=ev.sku,
                warehouse_code=ev.warehouse_code,
                available=ev.available,
                threshold=ev.threshold,
                occurred_at=ev.occurred_at,
            )
        ],
        ignore_conflicts=True,
    )


def record_sold_out(ev) -> None:
    StockAlert.objects.bulk_create(
        [
            StockAlert(event_id=ev.event_id, kind=StockAlert.Kind.OUT_OF_STOCK, sku=sku, occurred_at=ev.occurred_at)
            for sku in ev.skus
        ],
        ignore_conflicts=True,
    )


def period_start(now: datetime) -> datetime:
    seconds = int(settings.NOTIFICATIONS["DIGEST_PERIOD_MINUTES"] * 60)
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def send_stock_digests(now: datetime | None = None) -> int:
    """Beat job: for every seller with open alerts and no digest yet in this period, one
    digest with all of them. Returns the number of digests written."""
    now = now or timezone.now()
    start = period_start(now)
    written = 0
    open_skus = list(StockAlert.objects.filter(digest_key="").values_list("sku", flat=True).distinct())
    sellers = dict.fromkeys(open_skus)  # a SKU no seller is known for goes to operations
    sellers.update(SkuCopy.objects.filter(sku__in=open_skus).values_list("sku", "seller_id"))
    for seller_id in sorted(set(sellers.values()), key=lambda s: (s is None, s or 0)):
        skus = [sku for sku, owner in sellers.items() if owner == seller_id]
        written += _seller_digest(seller_id, skus, start)
    return written


def _seller_digest(seller_id: int | None, skus: list[str], start: datetime) -> int:
    key = f"stock-digest:{seller_id or 'unassigned'}:{start.isoformat()}"
    with transaction.atomic():
        if Message.objects.filter(source_key=key).exists():
            return 0  # this period's digest went out: the rest waits for the next period
        alerts = list(
            StockAlert.objects.select_for_update(skip_locked=True)
            .filter(digest_key="", sku__in=skus)
            .order_by("occurred_at", "pk")
        )
        if not alerts:
            return 0
        names = dict(SkuCopy.objects.filter(sku__in=skus).values_list("sku", "name"))
        context = {
            "period_start": start.isoformat(),
            "alerts": [
                {
                    "kind": a.kind,
                    "sku": a.sku,
                    "name": names.get(a.sku, ""),
                    "warehouse": a.warehouse_code,
                    "available": a.available,
                    "threshold": a.threshold,
                    "at": a.occurred_at.isoformat(),
                }
                for a in alerts
            ],
        }
        recipients = [composing.seller(seller_id)] if seller_id is not None else composing.operations()
        context["seller_name"] = _seller_name(seller_id)
        composing.queue(Source(key=key, event_name="StockDigest"), "stock_digest", recipients, context)
        StockAlert.objects.filter(pk__in=[a.pk for a in alerts]).update(digest_key=key)
    return 1


def _seller_name(seller_id: int | None) -> str:
    seller = SellerContact.objects.filter(seller_id=seller_id).first() if seller_id is not None else None
    return seller.name if seller else ""


# --- dead event deliveries ----------------------------------------------------------------


def report_dead_deliveries(now: datetime | None = None, limit: int = 200) -> int:
    """Beat job: one message to operations per period listing deliveries that died since
    the last report (each delivery is reported once)."""
    now = now or timezone.now()
    key = f"dead-deliveries:{period_start(now).isoformat()}"
    with transaction.atomic():
        if Message.objects.filter(source_key=key).exists():
            return 0
        reported = ReportedDeadDelivery.objects.values("delivery_id")
        dead = list(
            Delivery.objects.filter(status=Delivery.Status.DEAD)
            .exclude(pk__in=reported)
            .select_related("event")
            .order_by("pk")[:limit]
        )
        if not dead:
            return 0
        context = {
            "count": len(dead),
            "deliveries": [
                {
                    "id": d.pk,
                    "event": d.event.name,
                    "subscriber": d.subscriber,
                    "attempts": d.attempts,
                    "error": d.last_error[:300],
                    "correlation_id": d.event.correlation_id,
                }
                for d in dead
            ],
            "admin_url": links.admin_url("events/delivery/?status__exact=dead"),
        }
        composing.queue(
            Source(key=key, event_name="DeadDeliveries"), "dead_deliveries", composing.operations(), context
        )
        ReportedDeadDelivery.objects.bulk_create(
            [ReportedDeadDelivery(delivery_id=d.pk, digest_key=key) for d in dead], ignore_conflicts=True
        )
    return len(dead)
