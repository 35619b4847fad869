"""Payments' dashboard panels for operations: the fraud queue and failed payments by code."""

from datetime import timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from flowmart.common.dashboard import OPERATIONS, register

from . import selectors
from .models import Payment


@register("Fraud review queue", OPERATIONS, order=30)
def fraud_queue(request) -> dict:
    waiting = selectors.review_queue().count()
    url = reverse("admin:payments_paymentunderreview_changelist")
    return {"rows": [("payments on hold", waiting, url)], "tone": "warn" if waiting else ""}


@register("Failed payments by code, last 24 h", OPERATIONS, order=40)
def failed_by_code(request) -> dict:
    since = timezone.now() - timedelta(hours=24)
    failed = Payment.objects.filter(status=Payment.Status.FAILED, created_at__gte=since)
    counts = failed.values("failure_code").annotate(n=Count("id")).order_by("-n")[:10]
    url = reverse("admin:payments_payment_changelist")
    rows = [(c["failure_code"] or "unknown", c["n"], f"{url}?failure_code__exact={c['failure_code']}") for c in counts]
    return {"rows": rows, "note": "" if rows else "No failed payments."}
