"""Orders' dashboard panels (flowmart.common.dashboard): today's orders by status and how
long checkout takes to be paid (operations); a seller's sales per day (seller staff)."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from flowmart.common import display
from flowmart.common.dashboard import OPERATIONS, SELLER, bars_svg, register

from .models import Order, OrderLine, OrderTimelineEntry, SellerStaff
from .status import OrderStatus

P95_SAMPLE = 5000  # paid orders of the last hour looked at, at most


@register("Orders today by status", OPERATIONS, order=10)
def orders_today(request) -> dict:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    counts = Order.objects.filter(created_at__gte=start).values("status").annotate(n=Count("id")).order_by("status")
    url = reverse("admin:orders_order_changelist")
    day = f"created_at__gte={start:%Y-%m-%d}"
    rows = [(display.badge(c["status"]), c["n"], f"{url}?status__exact={c['status']}&{day}") for c in counts]
    return {"rows": rows, "note": "" if rows else "No orders yet today."}


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


@register("Checkout → paid, last hour", OPERATIONS, order=20)
def checkout_to_paid(request) -> dict:
    since = timezone.now() - timedelta(hours=1)
    paid = OrderTimelineEntry.objects.filter(at__gte=since, event__startswith=f"{OrderStatus.PAID}:")
    pairs = paid.values_list("at", "order__created_at")[:P95_SAMPLE]
    seconds = [(at - created).total_seconds() for at, created in pairs]
    value = p95(seconds)
    if value is None:
        return {"note": "No order was paid in the last hour."}
    return {"rows": [("p95", f"{value:.1f} s", ""), ("orders paid", len(seconds), "")]}


def seller_ids(request) -> list[int]:
    return list(SellerStaff.sellers_of(request.user).values_list("seller_id", flat=True))


@register("Sales per day, last 30 days", SELLER, order=10)
def seller_sales(request) -> dict:
    now = timezone.localtime()
    start = (now - timedelta(days=29)).date()
    since = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=29)
    lines = OrderLine.objects.filter(seller_id__in=seller_ids(request), order__created_at__gte=since).exclude(
        order__status=OrderStatus.CANCELLED
    )
    per_day = (
        lines.annotate(day=TruncDate("order__created_at"))
        .values("day", "order__currency")
        .annotate(total=Sum(F("unit_price") * F("quantity") - F("discount")))
        .order_by("day")
    )
    totals, currency = {}, None
    for row in per_day:
        currency = currency or row["order__currency"]
        if row["order__currency"] == currency:
            totals[row["day"]] = row["total"]
    days = [start + timedelta(days=n) for n in range(30)]
    bars = [(f"{d:%b %d}", totals.get(d, Decimal("0"))) for d in days]
    overall = sum(totals.values(), Decimal("0"))
    note = f"{display.money(overall, currency)} in 30 days" if currency else "No sales in the last 30 days."
    return {"bars": bars_svg(bars), "note": note}
