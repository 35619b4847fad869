"""Payout runs: pay each verified seller's available balance, exactly once per (seller,
period, currency), by a Stripe Connect transfer or marked paid by bank transfer.

Exactly once under overlapping runs (two beats, a manual run): the Payout row per (seller,
period, currency) is created under a unique constraint, then processed only by whoever
locks it (`select_for_update(skip_locked=True)`), with the seller's row locked too; a paid row
is never open again. The transfer's idempotency key is derived from the row and its attempt,
so an unanswered transfer (timeout, 5xx) is retried later with the same key and amount, and
the provider returns the first transfer; only a transfer the provider refused moves to the
next attempt's key.

    payout : Dr seller:<id>:available   Cr provider_clearing (transfer) | platform:bank
"""

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from flowmart.common.errors import Conflict
from flowmart.common.money import Money
from flowmart.contracts.payments import SellerPayoutPaid
from flowmart.events import publish

from ..gateways import GatewayError, ProviderRefused, ProviderUnavailable
from ..gateways.connect import StripeConnect
from ..models import LedgerEntry, Payout, SellerAccount, seller_account
from . import settlements

logger = logging.getLogger("flowmart.payments")
S, M = Payout.Status, Payout.Method


def period_key(moment: datetime | None = None) -> str:
    """The payout period a moment falls in (PAYMENTS_PAYOUT_PERIOD: weekly | monthly | daily)."""
    day = timezone.localtime(moment or timezone.now(), UTC).date()
    schedule = settings.PAYMENTS_PAYOUT_PERIOD
    if schedule == "monthly":
        return f"{day.year}-{day.month:02d}"
    if schedule == "daily":
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a period key, in UTC."""
    if "-W" in period:
        start = datetime.strptime(period + "-1", "%G-W%V-%u")
        end = start + timedelta(days=7)
    elif period.count("-") == 1:
        start = datetime.strptime(period, "%Y-%m")
        end = (start + timedelta(days=32)).replace(day=1)
    else:
        start = datetime.strptime(period, "%Y-%m-%d")
        end = start + timedelta(days=1)
    return start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)


def balance(seller_id: int, currency: str, bucket: str = "available") -> Decimal:
    rows = LedgerEntry.objects.filter(account=seller_account(seller_id, bucket), currency=currency)
    sums = rows.aggregate(c=Sum("credit"), d=Sum("debit"))
    return (sums["c"] or Decimal(0)) - (sums["d"] or Decimal(0))


def run(now: datetime | None = None) -> dict[str, int]:
    """The beat job: release what passed the hold, then pay every seller with a balance."""
    settlements.release_matured(now)
    period = period_key(now)
    rows = (
        LedgerEntry.objects.filter(account__startswith="seller:", account__endswith=":available")
        .values("seller_id", "currency")
        .annotate(c=Sum("credit"), d=Sum("debit"))
    )
    outcome: dict[str, int] = {}
    # Transfers of earlier periods that got no answer: asked again with their own key and amount.
    for old in Payout.objects.filter(status=S.CLAIMED, amount__gt=0).exclude(period=period).select_related("seller"):
        done = pay(old.seller.seller_id, old.currency, old.period)
        key = f"earlier_{done.status if done else 'busy'}"
        outcome[key] = outcome.get(key, 0) + 1
    for row in rows:
        open_here = Payout.objects.filter(seller__seller_id=row["seller_id"], period=period, status__in=Payout.OPEN)
        if row["c"] - row["d"] <= 0 and not open_here.exists():
            continue
        payout = pay(row["seller_id"], row["currency"], period)
        status = payout.status if payout else "busy_or_done"
        outcome[status] = outcome.get(status, 0) + 1
    return outcome


def _claim(seller_id: int, currency: str, period: str) -> None:
    seller = settlements.known_seller(seller_id)
    try:
        with transaction.atomic():
            Payout.objects.get_or_create(seller=seller, period=period, currency=currency)
    except IntegrityError:
        pass  # another run made it first: whoever locks it processes it


def pay(seller_id: int, currency: str, period: str, *, bank_reference: str = "", staff: str = "") -> Payout | None:
    """Pay (seller, period, currency) once. A bank transfer mark passes `bank_reference` and
    `staff`; otherwise a Stripe transfer. None: another run holds it, or it is already paid."""
    _claim(seller_id, currency, period)
    with transaction.atomic():
        seller = SellerAccount.objects.select_for_update().get(seller_id=seller_id)
        payout = (
            Payout.objects.select_for_update(skip_locked=True)
            .filter(seller=seller, period=period, currency=currency, status__in=Payout.OPEN)
            .first()
        )
        if payout is None:
            return None
        unanswered = payout.status == S.CLAIMED and payout.method == M.STRIPE and payout.amount > 0
        if unanswered and bank_reference:
            raise Conflict("A Stripe transfer for this period is unanswered yet; it is retried with its own key.")
        if not unanswered:
            problem = _not_payable(seller, currency, bank_reference)
            if problem:
                return _skip(payout, problem)
            payout.amount = balance(seller_id, currency) - _in_flight(seller, currency, payout)
            payout.method = M.BANK if bank_reference else M.STRIPE
            if payout.amount <= 0:
                return _skip(payout, "nothing available to pay")
        if bank_reference:
            return _paid(payout, reference=bank_reference, by=staff, counter=LedgerEntry.Account.BANK)
        return _transfer(seller, payout)


def _not_payable(seller: SellerAccount, currency: str, bank_reference: str) -> str:
    if not seller.verified:
        return f"seller not verified (KYC {seller.kyc_status}): no payout before verification"
    if bank_reference:
        return ""
    if not settings.STRIPE_SECRET_KEY:
        return "Stripe is not configured here: pay by bank transfer"
    if not seller.stripe_account_id:
        return "no Stripe Connect account: pay by bank transfer or start onboarding"
    return ""


def _in_flight(seller: SellerAccount, currency: str, payout: Payout) -> Decimal:
    """Transfers of other periods still unanswered: their amount is not available again."""
    rows = Payout.objects.filter(seller=seller, currency=currency, status=S.CLAIMED, amount__gt=0).exclude(pk=payout.pk)
    return rows.aggregate(s=Sum("amount"))["s"] or Decimal(0)


def _skip(payout: Payout, reason: str) -> Payout:
    payout.status, payout.reason = S.SKIPPED, reason[:300]
    payout.save(update_fields=["status", "reason", "amount", "method", "updated_at"])
    logger.info("payout %s skipped: %s", payout, reason)
    return payout


def _transfer(seller: SellerAccount, payout: Payout) -> Payout:
    payout.status, payout.reason = S.CLAIMED, ""
    payout.save(update_fields=["status", "reason", "amount", "method", "updated_at"])
    try:
        transfer_id = StripeConnect.from_settings().transfer(
            Money(payout.amount, payout.currency),
            seller.stripe_account_id,
            payout.idempotency_key,
            {"flowmart_seller_id": seller.seller_id, "period": payout.period, "payout_id": payout.pk},
        )
    except ProviderRefused as exc:
        payout.status, payout.reason, payout.attempt = S.FAILED, f"refused: {exc}"[:300], payout.attempt + 1
        payout.save(update_fields=["status", "reason", "attempt", "updated_at"])
        return payout
    except (GatewayError, ProviderUnavailable) as exc:
        # No answer: the transfer may have been made. Keep the claim, amount and key for the next run.
        payout.reason = f"unanswered, retried with the same key: {exc}"[:300]
        payout.save(update_fields=["reason", "updated_at"])
        return payout
    payout.provider_transfer_id = transfer_id
    return _paid(payout, reference=transfer_id, by="payout run", counter=LedgerEntry.Account.PROVIDER_CLEARING)


def _paid(payout: Payout, *, reference: str, by: str, counter: str) -> Payout:
    seller_id = payout.seller.seller_id
    entries = [(seller_account(seller_id, "available"), seller_id, -payout.amount), (counter, None, payout.amount)]
    settlements.post(LedgerEntry.Kind.PAYOUT, entries, payout.currency, reference=f"payout-{payout.pk}")
    payout.status, payout.reason, payout.paid_at, payout.paid_by = S.PAID, "", timezone.now(), by
    if payout.method == M.BANK:
        payout.reference = reference
    payout.save()
    publish(
        SellerPayoutPaid(
            seller_id=seller_id,
            payout_id=payout.pk,
            period=payout.period,
            amount=Money(payout.amount, payout.currency),
            method=payout.method,
            reference=reference,
        )
    )
    return payout


def mark_paid_by_bank(seller_id: int, currency: str, reference: str, staff: str, period: str = "") -> Payout:
    """Operations paid the seller's available balance by bank transfer (who, when, reference)."""
    reference = (reference or "").strip()
    if not reference:
        raise Conflict("A bank transfer needs its reference.")
    settlements.release_matured(seller_id=seller_id)
    payout = pay(seller_id, currency, period or period_key(), bank_reference=reference, staff=staff)
    if payout is None:
        raise Conflict("This seller's payout for the period is already paid or being paid.")
    if payout.status != S.PAID:
        raise Conflict(f"Not paid: {payout.reason}")
    return payout
