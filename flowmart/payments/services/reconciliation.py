"""Daily reconciliation: our attempts and refunds against the provider's own records
(list of intents/charges and refunds). Differences are logged and returned; they are
for a human to look at, never auto-corrected."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from ..gateways import available_providers, get_gateway
from ..models import PaymentAttempt, Refund

logger = logging.getLogger("flowmart.payments.reconciliation")


@dataclass(frozen=True)
class Difference:
    provider: str
    intent_id: str
    problem: str
    ours: str = ""
    theirs: str = ""

    def __str__(self):
        return f"[{self.provider}] {self.intent_id}: {self.problem} (ours {self.ours}, provider {self.theirs})"


def reconcile(provider: str, since: datetime) -> list[Difference]:
    theirs = {c.intent_id: c for c in get_gateway(provider).list_charges(since)}
    ours = PaymentAttempt.objects.filter(payment__provider=provider, created_at__gte=since).exclude(
        provider_intent_id=None
    )
    diffs = []
    for attempt in ours.select_related("payment"):
        charge = theirs.pop(attempt.provider_intent_id, None)
        if charge is None:
            diffs.append(Difference(provider, attempt.provider_intent_id, "missing at provider", attempt.status))
            continue
        if charge.amount_captured.amount != attempt.captured_amount:
            diffs.append(
                Difference(
                    provider,
                    charge.intent_id,
                    "captured differs",
                    str(attempt.captured_amount),
                    str(charge.amount_captured),
                )
            )
        refunded = Refund.objects.filter(attempt=attempt).aggregate(t=Sum("amount"))["t"] or Decimal(0)
        if charge.amount_refunded.amount != refunded:
            diffs.append(
                Difference(
                    provider, charge.intent_id, "refunded differs", str(refunded), str(charge.amount_refunded.amount)
                )
            )
    for charge in theirs.values():
        if charge.amount_captured.amount > 0:
            diffs.append(
                Difference(provider, charge.intent_id, "unknown to FlowMart", "", str(charge.amount_captured.amount))
            )
    for diff in diffs:
        logger.warning("reconciliation difference: %s", diff)
    return diffs


def reconcile_all(days: int = 2) -> list[Difference]:
    """Every available provider over an overlapping window (a daily job looking two days back)."""
    since = timezone.now() - timedelta(days=days)
    diffs = []
    for provider in available_providers():
        diffs += reconcile(provider, since)
    logger.info("reconciliation since %s: %d difference(s)", since.isoformat(), len(diffs))
    return diffs
