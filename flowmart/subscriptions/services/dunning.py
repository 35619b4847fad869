"""Outcomes of renewal orders and dunning.

- PaymentProcessed for a renewal key: succeeded → each renewal `paid`, its subscription back
  to `active` (the period was moved on when the cycle was emitted, never again here);
  failed → dunning per renewal: `past_due`, the next retry on the ladder
  (DUNNING_RETRY_DAYS after the due moment), none after a hard decline, cancellation
  (`payment_failed`) after the last. `authentication_required` gives the customer a link.
- OrderStatusChanged cancelled/out_of_stock → the renewal is stock-short: retried daily on
  the next runs for STOCK_RETRY_DAYS, then skipped with that reason; the customer is told.
- RenewalLinesLeftOut (orders could not order a line: its SKU was retired after the renewal
  was emitted) → that attempt `cancelled`, its renewal `skipped` with the reason, the
  customer told; never left `billing`, never counted paid with the lines that were ordered.
- The billing run calls `retry_due` (due retries become new attempts, grouped like cycles)
  and `give_up_due` (dunning windows that ended with no retry left).

Outcomes are applied only to an attempt still `pending`: a redelivered or stale outcome
changes nothing.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from flowmart.contracts.subscriptions import SubscriptionRenewalFailed, SubscriptionRenewed
from flowmart.events import publish

from ..models import Renewal, RenewalAttempt, RenewalBatch, Subscription, key_of
from . import lifecycle
from .emitting import Due, action_url, emit

logger = logging.getLogger("flowmart.subscriptions")
R = Renewal.Status
A = Subscription.Status


def batch_of(renewal_key: str | None) -> RenewalBatch | None:
    if not renewal_key or not renewal_key.startswith("subs-"):
        return None
    return RenewalBatch.objects.filter(pk=int(renewal_key.removeprefix("subs-"))).first()


def _pending(batch: RenewalBatch) -> list[RenewalAttempt]:
    """The batch's attempts still waiting for an outcome, their subscriptions locked (by id)."""
    return _locked_attempts(batch, ("pending",))


@transaction.atomic
def payment_processed(renewal_key: str | None, order_id: int, succeeded: bool, failure_code: str | None) -> None:
    batch = batch_of(renewal_key)
    if batch is None:
        return
    attempts = _pending(batch)
    if not attempts:
        return  # settled before: a stale or repeated outcome changes nothing
    now = timezone.now()
    batch.order_id = order_id
    batch.outcome, batch.failure_code = ("paid", "") if succeeded else ("failed", failure_code or "")
    batch.save(update_fields=["order_id", "outcome", "failure_code"])
    for attempt in attempts:
        if succeeded:
            _paid(attempt, order_id, now)
        else:
            _failed(attempt, order_id, failure_code or "processing_error", now)


def _settle(attempt: RenewalAttempt, status: str, now: datetime, failure_code: str = "") -> None:
    attempt.status, attempt.failure_code, attempt.settled_at = status, failure_code, now
    attempt.save(update_fields=["status", "failure_code", "settled_at"])


def _paid(attempt: RenewalAttempt, order_id: int, now: datetime) -> None:
    _settle(attempt, "paid", now)
    renewal, sub = attempt.renewal, attempt.renewal.subscription
    renewal.status, renewal.order_id, renewal.next_retry_at, renewal.failure_code = R.PAID, order_id, None, ""
    renewal.save(update_fields=["status", "order_id", "next_retry_at", "failure_code", "updated_at"])
    if sub.status == A.PAST_DUE and not sub.renewals.filter(status=R.PAST_DUE).exists():
        sub.status = A.ACTIVE
        sub.save(update_fields=["status", "updated_at"])
    publish(
        SubscriptionRenewed(
            subscription_id=sub.pk,
            customer_id=sub.customer_id,
            customer_email=sub.customer_email,
            cycle=renewal.cycle,
            order_id=order_id,
            next_billing_at=sub.next_billing_at,
        )
    )


def next_retry(renewal: Renewal, failure_code: str) -> datetime | None:
    """The ladder: retry k (k = attempts made so far) at due + DUNNING_RETRY_DAYS[k-1]."""
    if failure_code in settings.SUBSCRIPTIONS["HARD_DECLINES"]:
        return None
    ladder = settings.SUBSCRIPTIONS["DUNNING_RETRY_DAYS"]
    if renewal.attempts > len(ladder):
        return None
    return renewal.due_at + timedelta(days=ladder[renewal.attempts - 1])


def _failed(attempt: RenewalAttempt, order_id: int, failure_code: str, now: datetime) -> None:
    _settle(attempt, "failed", now, failure_code)
    renewal, sub = attempt.renewal, attempt.renewal.subscription
    if sub.status == A.CANCELLED:
        return
    if renewal.cycle == 1 and renewal.attempts == 1:
        # The first order, charged while the customer was there: no dunning, no subscription.
        lifecycle.cancel_locked(sub, "payment_failed", now)
        return
    ladder = settings.SUBSCRIPTIONS["DUNNING_RETRY_DAYS"]
    retry_at = next_retry(renewal, failure_code)
    renewal.status, renewal.failure_code, renewal.order_id = R.PAST_DUE, failure_code, order_id
    renewal.next_retry_at = retry_at
    renewal.give_up_at = renewal.due_at + timedelta(days=ladder[-1] if ladder else 0)
    renewal.save()
    if retry_at is None and (failure_code not in settings.SUBSCRIPTIONS["HARD_DECLINES"] or now >= renewal.give_up_at):
        renewal.status, renewal.reason = R.CANCELLED, "payment_failed"
        renewal.save(update_fields=["status", "reason", "updated_at"])
        lifecycle.cancel_locked(sub, "payment_failed", now)
        return
    if sub.status == A.ACTIVE:
        sub.status = A.PAST_DUE
        sub.save(update_fields=["status", "updated_at"])
    auth = failure_code == "authentication_required"
    publish(_failure_event(sub, renewal, "authentication_required" if auth else "payment_failed", retry_at))


def _failure_event(sub, renewal: Renewal, reason: str, retry_at) -> SubscriptionRenewalFailed:
    return SubscriptionRenewalFailed(
        subscription_id=sub.pk,
        customer_id=sub.customer_id,
        customer_email=sub.customer_email,
        cycle=renewal.cycle,
        attempt=renewal.attempts,
        reason=reason,
        failure_code=renewal.failure_code or None,
        next_retry_at=retry_at,
        action_url=action_url(sub.pk) if reason != "out_of_stock" else None,
    )


@transaction.atomic
def order_changed(renewal_key: str | None, order_id: int, status: str, reason: str | None) -> None:
    """Orders' side of a renewal order: its id, and a refusal for stock or a cancellation."""
    batch = batch_of(renewal_key)
    if batch is None:
        return
    if batch.order_id is None:
        RenewalBatch.objects.filter(pk=batch.pk).update(order_id=order_id)
    if status != "cancelled" or reason in ("payment_failed", "fraud_rejected"):
        return  # paid and failed payments are PaymentProcessed's
    now = timezone.now()
    outcome = "out_of_stock" if reason == "out_of_stock" else "cancelled"
    RenewalBatch.objects.filter(pk=batch.pk).update(outcome=outcome)
    for attempt in _pending(batch):
        if reason == "out_of_stock":
            _stock_short(attempt, order_id, now)
        else:
            _settle(attempt, "cancelled", now)
            renewal = attempt.renewal
            renewal.status, renewal.reason, renewal.order_id = R.SKIPPED, f"order_{reason or 'cancelled'}", order_id
            renewal.save(update_fields=["status", "reason", "order_id", "updated_at"])


@transaction.atomic
def lines_left_out(renewal_key: str | None, order_id: int | None, lines, reason: str) -> None:
    """Orders could not order these lines (their SKU retired after the renewal was emitted):
    each attempt ends `cancelled` and, if it is its renewal's latest, the renewal `skipped`
    with `reason`, the customer told (no retry: the SKU is not for sale); the first order's
    left out cancels the subscription with `reason`, as a failed first payment does. An attempt the
    order's payment outcome settled first (events may arrive in any order) is put right: the
    order never billed it. With no order at all, the batch's outcome is `cancelled`."""
    batch = batch_of(renewal_key)
    if batch is None:
        return
    named = {(line.subscription_id, line.cycle, line.attempt) for line in lines}
    now = timezone.now()
    for attempt in _locked_attempts(batch, ("pending", "paid", "failed")):
        renewal = attempt.renewal
        if (renewal.subscription_id, renewal.cycle, attempt.number) in named:
            _left_out(attempt, reason, now)
    if order_id is None:
        RenewalBatch.objects.filter(pk=batch.pk).update(outcome="cancelled", failure_code=reason)


def _locked_attempts(batch: RenewalBatch, statuses) -> list[RenewalAttempt]:
    """The batch's attempts in `statuses`, their subscriptions locked (by id, like `_pending`)."""
    sub_ids = sorted(set(batch.attempts.values_list("renewal__subscription_id", flat=True)))
    subs = {s.pk: s for s in Subscription.objects.select_for_update().select_related("plan").filter(pk__in=sub_ids)}
    attempts = list(batch.attempts.select_related("renewal").filter(status__in=statuses).order_by("pk"))
    for attempt in attempts:
        attempt.renewal.subscription = subs[attempt.renewal.subscription_id]
    return attempts


def _left_out(attempt: RenewalAttempt, reason: str, now: datetime) -> None:
    _settle(attempt, "cancelled", now, reason)
    renewal, sub = attempt.renewal, attempt.renewal.subscription
    if renewal.attempts != attempt.number or renewal.status in (R.SKIPPED, R.CANCELLED):
        return  # a later attempt of this renewal is out, or it has ended already
    renewal.status, renewal.reason, renewal.failure_code, renewal.next_retry_at = R.SKIPPED, reason, "", None
    renewal.save(update_fields=["status", "reason", "failure_code", "next_retry_at", "updated_at"])
    if sub.status == A.CANCELLED:
        return
    if renewal.cycle == 1 and attempt.number == 1:
        # The first order, placed while the customer was there: nothing was bought, no subscription.
        lifecycle.cancel_locked(sub, reason, now)
        return
    if sub.status == A.PAST_DUE and not sub.renewals.filter(status=R.PAST_DUE).exists():
        sub.status = A.ACTIVE
        sub.save(update_fields=["status", "updated_at"])
    publish(_failure_event(sub, renewal, reason, None))


def _stock_short(attempt: RenewalAttempt, order_id: int, now: datetime) -> None:
    _settle(attempt, "out_of_stock", now, "out_of_stock")
    renewal, sub = attempt.renewal, attempt.renewal.subscription
    renewal.order_id, renewal.failure_code = order_id, "out_of_stock"
    # Daily from the due moment (retry k at due + k days), on the billing calendar, not the wall clock.
    until = renewal.due_at + timedelta(days=settings.SUBSCRIPTIONS["STOCK_RETRY_DAYS"])
    retry_at = renewal.due_at + timedelta(days=renewal.attempts)
    if retry_at > until or sub.status == A.CANCELLED:
        renewal.status, renewal.reason, renewal.next_retry_at, retry_at = R.SKIPPED, "out_of_stock", None, None
    else:
        renewal.status, renewal.next_retry_at = R.STOCK_SHORT, retry_at
    renewal.save()
    if sub.status != A.CANCELLED:
        publish(_failure_event(sub, renewal, "out_of_stock", retry_at))


def retry_due(as_of: datetime, stats, chunk_size: int) -> None:
    """Due dunning and stock retries become new attempts, chunk by chunk (each its own
    transaction; a renewal's row lock and its `attempts` counter make a retry once)."""
    after = 0
    while True:
        with transaction.atomic():
            renewals = list(
                Renewal.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("subscription__plan")
                .filter(status__in=[R.PAST_DUE, R.STOCK_SHORT], next_retry_at__lte=as_of, pk__gt=after)
                .order_by("pk")[:chunk_size]
            )
            if not renewals:
                return
            after = renewals[-1].pk
            stats.retries += len(new_attempts(renewals, as_of, "retry"))


def new_attempts(renewals: list[Renewal], moment: datetime, kind: str) -> list[int]:
    """Bill these renewals again now (caller holds their row locks)."""
    dues = []
    for renewal in renewals:
        sub = renewal.subscription
        if sub.status not in (A.ACTIVE, A.PAST_DUE):
            continue
        renewal.attempts += 1
        renewal.status, renewal.next_retry_at = R.BILLING, None
        renewal.save(update_fields=["attempts", "status", "next_retry_at", "updated_at"])
        dues.append(Due(sub=sub, renewal_id=renewal.pk, cycle=renewal.cycle, attempt=renewal.attempts, moment=moment))
    return emit(dues, kind)


def give_up_due(as_of: datetime) -> int:
    """Past-due renewals with no retry left (a hard decline nobody fixed) whose window ended."""
    cancelled = 0
    ids = list(
        Renewal.objects.filter(status=R.PAST_DUE, next_retry_at__isnull=True, give_up_at__lte=as_of).values_list(
            "subscription_id", flat=True
        )
    )
    for sub_id in ids:
        with transaction.atomic():
            sub = Subscription.objects.select_for_update().filter(pk=sub_id).first()
            if sub is None or sub.status == A.CANCELLED:
                continue
            Renewal.objects.filter(subscription=sub, status=R.PAST_DUE).update(
                status=R.CANCELLED, reason="payment_failed", updated_at=as_of
            )
            lifecycle.cancel_locked(sub, "payment_failed", as_of)
            cancelled += 1
    return cancelled


__all__ = ["key_of", "payment_processed", "order_changed", "lines_left_out", "retry_due", "give_up_due", "new_attempts"]
