"""Reads: a customer's own subscriptions (another customer's is 404), plans, renewals."""

from django.db.models import QuerySet
from django.http import Http404

from .models import Plan, Renewal, Subscription, Variant


def plans(product_id: int | None = None) -> QuerySet:
    """Active plans whose variant is on sale, with their variant's price."""
    on_sale = Variant.objects.filter(active=True).values("sku")
    found = Plan.objects.filter(active=True, sku__in=on_sale).order_by("product_id", "id")
    return found.filter(product_id=product_id) if product_id is not None else found


def variants_by_sku(skus) -> dict[str, Variant]:
    return {v.sku: v for v in Variant.objects.filter(sku__in=set(skus))}


def subscriptions_of(customer_id: int) -> QuerySet:
    return Subscription.objects.filter(customer_id=customer_id).select_related("plan").order_by("-id")


def subscription_of(customer_id: int | None, subscription_id, lock: bool = False) -> Subscription:
    """customer_id None: operations (any subscription)."""
    found = Subscription.objects.select_related("plan")
    if lock:
        found = found.select_for_update(of=("self",))
    if customer_id is not None:
        found = found.filter(customer_id=customer_id)
    try:
        pk = int(subscription_id)
    except (TypeError, ValueError):
        pk = 0
    sub = found.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if sub is None:
        raise Http404("No such subscription.")
    return sub


def renewals_of(sub: Subscription) -> list[Renewal]:
    return list(sub.renewals.prefetch_related("attempt_rows__batch").order_by("-cycle"))
