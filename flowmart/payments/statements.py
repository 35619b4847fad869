"""A seller's statement for one payout period, read from the ledger alone:

    closing = opening + credits − debits − payouts

where credits are the seller's sales net of commission, debits what refunds and lost disputes
took back (net of the commission returned with them), payouts what was paid out. Gross sales
and commission are shown beside them (gross = credits + commission withheld). Pending →
available releases move money between the seller's own two accounts and do not change it."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from .models import LedgerEntry, seller_account
from .services.payouts import period_bounds

K = LedgerEntry.Kind


@dataclass
class Statement:
    seller_id: int
    currency: str
    period: str
    start: datetime
    end: datetime
    opening: Decimal
    gross_sales: Decimal
    commission: Decimal
    credits: Decimal
    debits: Decimal
    payouts: Decimal
    closing: Decimal
    pending: Decimal
    available: Decimal
    entries: list = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return self.closing == self.opening + self.credits - self.debits - self.payouts == self.pending + self.available


def _net(qs: QuerySet) -> Decimal:
    sums = qs.aggregate(c=Sum("credit"), d=Sum("debit"))
    return (sums["c"] or Decimal(0)) - (sums["d"] or Decimal(0))


def seller_entries(seller_id: int, currency: str) -> QuerySet:
    accounts = [seller_account(seller_id, "pending"), seller_account(seller_id, "available")]
    return LedgerEntry.objects.filter(account__in=accounts, currency=currency)


def statement(seller_id: int, currency: str, period: str) -> Statement:
    start, end = period_bounds(period)
    mine = seller_entries(seller_id, currency)
    before, during = mine.filter(created_at__lt=start), mine.filter(created_at__gte=start, created_at__lt=end)
    commission = LedgerEntry.objects.filter(
        account=LedgerEntry.Account.COMMISSION, seller_id=seller_id, currency=currency, created_at__gte=start
    ).filter(created_at__lt=end)
    sale_credits = _net(during.filter(kind=K.SALE))
    withheld = _net(commission)
    taken_back = -_net(during.filter(kind=K.REVERSAL))
    paid_out = -_net(during.filter(kind=K.PAYOUT))
    until_end = mine.filter(created_at__lt=end)
    return Statement(
        seller_id=seller_id,
        currency=currency,
        period=period,
        start=start,
        end=end,
        opening=_net(before),
        gross_sales=sale_credits + _net(commission.filter(kind=K.SALE)),
        commission=withheld,
        credits=sale_credits,
        debits=taken_back,
        payouts=paid_out,
        closing=_net(until_end),
        pending=_net(until_end.filter(account__endswith=":pending")),
        available=_net(until_end.filter(account__endswith=":available")),
        entries=list(during.filter(~Q(kind=K.RELEASE)).order_by("created_at", "id")),
    )


def currencies_of(seller_id: int) -> list[str]:
    accounts = [seller_account(seller_id, "pending"), seller_account(seller_id, "available")]
    found = LedgerEntry.objects.filter(account__in=accounts).values_list("currency", flat=True).distinct()
    return sorted(set(found)) or ["USD"]
