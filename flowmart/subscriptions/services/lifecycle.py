"""Starting a subscription and the customer's (and operations') self-service actions.

Each command locks the subscription row, checks the state allows it (else a 409 with a
code saying why), changes it and publishes the event in the same transaction.
"""

import hashlib
import json
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from flowmart.common.errors import Conflict, IdempotencyKeyReused, InvalidRequest
from flowmart.contracts.subscriptions import SubscriptionChanged, UserSubscriptionCancelled, UserSubscriptionStarted
from flowmart.events import publish

from ..calendar import cycle_at, first_cycle_not_before
from ..models import IdempotencyKey, Plan, Renewal, Subscription, Variant
from .emitting import Due, emit, renewal_price

A = Subscription.Status
R = Renewal.Status


def refuse(code: str, message: str):
    raise Conflict(message, code=code)


def request_hash(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def sellable_plan(plan_id: int) -> tuple[Plan, Variant]:
    plan = Plan.objects.filter(pk=plan_id, active=True).first()
    variant = Variant.objects.filter(sku=plan.sku, active=True).first() if plan else None
    if plan is None or variant is None:
        raise InvalidRequest("Unknown plan.", fields={"plan_id": ["No such plan on sale."]})
    return plan, variant


def start(customer_id: int, email: str, key: str, body_hash: str, data: dict) -> Subscription:
    """Create the subscription and bill cycle 1 at once (the first order, through the saga)."""
    now = timezone.now()
    with transaction.atomic():
        IdempotencyKey.objects.bulk_create(
            [IdempotencyKey(customer_id=customer_id, key=key, request_hash=body_hash)], ignore_conflicts=True
        )
        claim = IdempotencyKey.objects.select_for_update().get(customer_id=customer_id, key=key)
        if claim.subscription_id is not None:
            if claim.request_hash != body_hash:
                raise IdempotencyKeyReused()
            return claim.subscription
        plan, variant = sellable_plan(data["plan_id"])
        sub = Subscription(
            customer_id=customer_id,
            customer_email=email,
            plan=plan,
            quantity=data["quantity"],
            time_zone=data["time_zone"],
            anchor_at=now,
            anchor_cycle=1,
            next_cycle=2,
            shipping_address=data["address"],
            shipping_method=data["shipping_method"],
            provider=data["payment"]["provider"],
            payment_method=data["payment"]["payment_method"],
        )
        sub.next_billing_at = cycle_at(sub, 2)
        sub.save()
        claim.subscription = sub
        claim.save(update_fields=["subscription"])
        publish(_started(sub, variant))
        renewal = Renewal.objects.create(subscription=sub, cycle=1, due_at=now, status=R.BILLING, attempts=1)
        emit([Due(sub=sub, renewal_id=renewal.pk, cycle=1, attempt=1, moment=now)], "first")
    return sub


def _started(sub: Subscription, variant: Variant) -> UserSubscriptionStarted:
    plan = sub.plan
    return UserSubscriptionStarted(
        subscription_id=sub.pk,
        customer_id=sub.customer_id,
        customer_email=sub.customer_email,
        plan_id=plan.pk,
        sku=plan.sku,
        quantity=sub.quantity,
        provider=sub.provider,
        payment_method=sub.payment_method,
        plan_name=plan.name,
        interval=plan.interval,
        interval_count=plan.interval_count,
        renewal_price=renewal_price(sub, variant),
        next_billing_at=sub.next_billing_at,
    )


def locked(customer_id: int | None, subscription_id: int) -> Subscription:
    """The subscription, locked; another customer's is 404 (customer_id None: operations)."""
    from ..selectors import subscription_of

    return subscription_of(customer_id, subscription_id, lock=True)


def _changed(sub: Subscription, change: str) -> None:
    sub.save()
    publish(
        SubscriptionChanged(
            subscription_id=sub.pk,
            customer_id=sub.customer_id,
            status=sub.status,
            sku=sub.plan.sku,
            quantity=sub.quantity,
            change=change,
            next_billing_at=sub.next_billing_at if sub.status != A.CANCELLED else None,
            provider=sub.provider,
            payment_method=sub.payment_method,
        )
    )


def _not_cancelled(sub: Subscription) -> None:
    if sub.status == A.CANCELLED:
        refuse("subscription_cancelled", "The subscription is cancelled.")


@transaction.atomic
def pause(customer_id: int | None, subscription_id: int, until: datetime | None = None) -> Subscription:
    sub = locked(customer_id, subscription_id)
    _not_cancelled(sub)
    if sub.status == A.PAUSED:
        refuse("already_paused", "The subscription is already paused.")
    if sub.status == A.PAST_DUE:
        refuse("past_due", "A renewal payment is outstanding: update the payment method first.")
    if until is not None and until <= timezone.now():
        raise InvalidRequest("The pause must end in the future.", fields={"until": ["Must be in the future."]})
    sub.status, sub.paused_until = A.PAUSED, until
    _changed(sub, "paused")
    return sub


def _resume(sub: Subscription, now: datetime) -> None:
    """Back to active; the calendar keeps its anchor and the cycles that fell in the pause
    are not billed: the next cycle is the first one not before now."""
    cycle = first_cycle_not_before(sub, sub.next_cycle, now)
    sub.anchor_cycle -= cycle - sub.next_cycle  # renumber: cycles stay contiguous, dates stay on the anchor
    sub.status, sub.paused_until = A.ACTIVE, None
    sub.next_billing_at = cycle_at(sub, sub.next_cycle)
    _changed(sub, "resumed")


@transaction.atomic
def resume(customer_id: int | None, subscription_id: int) -> Subscription:
    sub = locked(customer_id, subscription_id)
    _not_cancelled(sub)
    if sub.status != A.PAUSED:
        refuse("not_paused", "Only a paused subscription can be resumed.")
    _resume(sub, timezone.now())
    return sub


def resume_due_pauses(as_of: datetime) -> int:
    """Pauses with an end date that has come (called by the billing run)."""
    resumed = 0
    for sub_id in Subscription.objects.filter(status=A.PAUSED, paused_until__lte=as_of).values_list("pk", flat=True):
        with transaction.atomic():
            sub = Subscription.objects.select_for_update().select_related("plan").get(pk=sub_id)
            if sub.status == A.PAUSED and sub.paused_until and sub.paused_until <= as_of:
                _resume(sub, as_of)
                resumed += 1
    return resumed


def _active(sub: Subscription) -> None:
    _not_cancelled(sub)
    if sub.status == A.PAUSED:
        refuse("subscription_paused", "The subscription is paused: resume it first.")
    if sub.status == A.PAST_DUE:
        refuse("past_due", "A renewal payment is outstanding: update the payment method first.")


@transaction.atomic
def skip(customer_id: int | None, subscription_id: int) -> Subscription:
    """Skip the next cycle: it is recorded as skipped and the one after it becomes next."""
    sub = locked(customer_id, subscription_id)
    _active(sub)
    Renewal.objects.create(
        subscription=sub,
        cycle=sub.next_cycle,
        due_at=sub.next_billing_at,
        status=R.SKIPPED,
        reason="customer_skipped",
    )
    sub.next_cycle += 1
    sub.next_billing_at = cycle_at(sub, sub.next_cycle)
    _changed(sub, "skipped")
    return sub


@transaction.atomic
def ship_now(customer_id: int | None, subscription_id: int) -> Subscription:
    """Bill the next cycle today; the calendar goes on from the cycle after it."""
    sub = locked(customer_id, subscription_id)
    _active(sub)
    if sub.renewals.filter(status__in=[R.BILLING, R.STOCK_SHORT]).exists():
        refuse("renewal_in_progress", "A renewal is already on its way; ship now is possible once it is paid.")
    if not Variant.objects.filter(sku=sub.plan.sku, active=True).exists():
        refuse("not_for_sale", "The product is not for sale at the moment.")
    now = timezone.now()
    renewal = Renewal.objects.create(subscription=sub, cycle=sub.next_cycle, due_at=now, status=R.BILLING, attempts=1)
    sub.next_cycle += 1
    sub.next_billing_at = cycle_at(sub, sub.next_cycle)
    _changed(sub, "ship_now")
    emit([Due(sub=sub, renewal_id=renewal.pk, cycle=renewal.cycle, attempt=1, moment=now)], "ship_now")
    return sub


@transaction.atomic
def change(customer_id: int | None, subscription_id: int, data: dict) -> Subscription:
    """PATCH: quantity, plan (interval or another variant of the same product), address, payment."""
    sub = locked(customer_id, subscription_id)
    _not_cancelled(sub)
    if "quantity" in data and data["quantity"] != sub.quantity:
        sub.quantity = data["quantity"]
        _changed(sub, "quantity")
    if "plan_id" in data and data["plan_id"] != sub.plan_id:
        _change_plan(sub, data["plan_id"])
    if "address" in data or "shipping_method" in data:
        sub.shipping_address = data.get("address", sub.shipping_address)
        sub.shipping_method = data.get("shipping_method", sub.shipping_method)
        _changed(sub, "address")
    if "payment" in data:
        sub.provider, sub.payment_method = data["payment"]["provider"], data["payment"]["payment_method"]
        _changed(sub, "payment_method")
        _retry_past_due(sub)
    return sub


def _change_plan(sub: Subscription, plan_id: int) -> None:
    plan, _ = sellable_plan(plan_id)
    if plan.product_id != sub.plan.product_id:
        refuse("plan_of_another_product", "A subscription can only move to a plan of the same product.")
    change_kind = "variant" if plan.sku != sub.plan.sku else "plan"
    # Keep the next billing date; the new interval counts from it.
    sub.anchor_at, sub.anchor_cycle = sub.next_billing_at, sub.next_cycle
    sub.plan = plan
    _changed(sub, change_kind)


def _retry_past_due(sub: Subscription) -> None:
    """A new card retries a past-due renewal at once (hard decline or not)."""
    from .dunning import new_attempts

    renewals = list(sub.renewals.select_for_update().filter(status=R.PAST_DUE).order_by("cycle"))
    for renewal in renewals:
        renewal.subscription = sub
    new_attempts(renewals, timezone.now(), "retry")


@transaction.atomic
def cancel(customer_id: int | None, subscription_id: int, reason: str, by_operations: bool = False) -> Subscription:
    sub = locked(customer_id, subscription_id)
    _not_cancelled(sub)
    minimum = sub.plan.min_cycles
    if minimum and not by_operations:
        paid = sub.renewals.filter(status=R.PAID).count()
        if paid < minimum:
            refuse(
                "minimum_cycles",
                f"This plan needs {minimum} paid deliveries before it can be cancelled ({paid} so far).",
            )
    cancel_locked(sub, reason, timezone.now())
    return sub


def cancel_locked(sub: Subscription, reason: str, now: datetime) -> None:
    sub.status, sub.cancellation_reason, sub.cancelled_at, sub.paused_until = A.CANCELLED, reason, now, None
    sub.save()
    sub.renewals.filter(status__in=[R.PAST_DUE, R.STOCK_SHORT]).update(
        status=R.CANCELLED, reason=reason, next_retry_at=None, updated_at=now
    )
    publish(
        UserSubscriptionCancelled(
            subscription_id=sub.pk, customer_id=sub.customer_id, reason=reason, customer_email=sub.customer_email
        )
    )
