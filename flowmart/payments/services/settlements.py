"""Seller settlement in the double-entry ledger.

An order's money is split into components: per seller their lines' net (price × quantity −
discount) less the commission, per seller the commission (platform:commission), the tax
(platform:tax: the platform collects and remits it, sellers are credited net of tax) and
whatever else the total holds (shipping: platform:shipping).

`sync_order` brings the ledger up to what the payment says, whatever order the events came in:

    sale     : Dr customer_receivable        Cr seller:<id>:pending, platform:commission, :tax, :shipping
    reversal : Dr seller:<id>:pending|available, platform:*   Cr refunds | disputes
    release  : Dr seller:<id>:pending        Cr seller:<id>:available      (after the hold)

The sale allocates what was captured over the components; refunds and lost disputes take back
from the lines' components: a return's refund from the returned lines' seller share, commission
and tax (RefundRequested.lines, kept as RefundLines), anything else over all the lines'
components proportionally, to the cent, largest remainder first,
and from shipping only what exceeds the lines (returns refund lines, not shipping). Both are computed on the
cumulative amounts, so repeated or partial postings never drift by a cent and a full refund
takes back exactly what was credited, commission included (no commission on refunded sales).
"""

import uuid
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from flowmart.common.money import minor_units, quantize

from ..models import Dispute, LedgerEntry, OrderSettlement, Payment, Refund, RefundLines, SellerAccount, seller_account
from ..models.rows import insert_new
from . import settlement_reads
from .settlement_reads import locked_payment, settlement_and_sales

A, K = LedgerEntry.Account, LedgerEntry.Kind
SELLER, COMMISSION, TAX, SHIPPING = "seller", "commission", "tax", "shipping"


def commission_percent(seller_id: int) -> Decimal:
    override = SellerAccount.objects.filter(seller_id=seller_id).values_list("commission_percent", flat=True).first()
    return _rate(override)


def _rate(override: Decimal | None) -> Decimal:
    """A seller's commission: their override, else the shop's."""
    return Decimal(str(settings.PAYMENTS_COMMISSION_PERCENT)) if override is None else override


def _sellers(seller_ids: set[int]) -> dict[int, SellerAccount]:
    """Payments' copies of these sellers in one read, any not heard of yet created nameless
    (catalog's events name them later), as known_seller does one by one."""
    known = SellerAccount.objects.in_bulk(seller_ids, field_name="seller_id")
    missing = seller_ids - set(known)
    if missing:
        SellerAccount.objects.bulk_create([SellerAccount(seller_id=i) for i in missing], ignore_conflicts=True)
        known = SellerAccount.objects.in_bulk(seller_ids, field_name="seller_id")
    return known


def known_seller(seller_id: int, name: str = "", slug: str = "") -> SellerAccount:
    """Payments' copy of a seller (catalog's SellerChanged/ProductPublished, or an order's line)."""
    seller, created = SellerAccount.objects.get_or_create(seller_id=seller_id, defaults={"name": name, "slug": slug})
    if not created and name and (seller.name, seller.slug) != (name, slug):
        seller.name, seller.slug = name, slug
        seller.save(update_fields=["name", "slug"])
    return seller


def record_lines(order_id: int, lines, total, as_of, first: bool = False) -> None:
    """OrderConfirmed / OrderAmended: keep the order's lines (the newest event wins), then settle.
    Part of the caller's transaction (no savepoint of its own): an error fails it whole.
    `first`: the order's first event nearly always (OrderConfirmed), so its row is inserted
    first (ON CONFLICT DO NOTHING: no read before, and two first events at once do not fail)."""
    with transaction.atomic(savepoint=False):
        held = None
        if first:
            held = OrderSettlement(order_id=order_id, **_settled_fields(lines, total, as_of, {}))
            if insert_new(held, "order_id"):
                return sync_order(order_id, held)
        held = OrderSettlement.objects.select_for_update().filter(order_id=order_id).first()
        if held is not None and held.as_of >= as_of:
            return None
        # The rate is fixed when the order is first heard of: a later change of a seller's rate
        # (or of the shop's) never re-prices an order already sold, even when it is amended.
        rates = {row["seller_id"]: row["commission_percent"] for row in (held.lines if held else [])}
        fields = _settled_fields(lines, total, as_of, rates)
        if held is None:
            # Two first events of one order at once: one insert fails on the unique order id and
            # its delivery is retried, then compared by as_of like any later event.
            held = OrderSettlement.objects.create(order_id=order_id, **fields)
        else:
            for name, value in fields.items():
                setattr(held, name, value)
            held.save(update_fields=list(fields))
    return sync_order(order_id, held)


def _settled_fields(lines, total, as_of, rates: dict) -> dict:
    """The settlement row's fields for these lines; `rates`: the commission already fixed per seller."""
    sellers = _sellers({line.seller_id for line in lines})
    rows = []
    for line in lines:
        rate = rates.setdefault(line.seller_id, str(_rate(sellers[line.seller_id].commission_percent)))
        tax = line.tax.amount if line.tax else 0
        net = line.paid.amount - tax  # goods after discount, without tax (inside the price or not)
        rows.append(
            {
                "seller_id": line.seller_id,
                "sku": line.sku,
                "quantity": line.quantity,
                "net": str(net),
                "tax": str(tax),
                "commission_percent": rate,
            }
        )
    return {"currency": total.currency, "total": total.amount, "lines": rows, "as_of": as_of}


def components(settlement: OrderSettlement) -> dict[tuple[str, int | None], Decimal]:
    """The order's total split into who it belongs to (each line's commission rounded half-up)."""
    currency, parts = settlement.currency, defaultdict(Decimal)
    for line in settlement.lines:
        seller_id, net, tax = line["seller_id"], Decimal(line["net"]), Decimal(line["tax"])
        rate = Decimal(line["commission_percent"])
        commission = quantize(net * rate / 100, currency)
        parts[(SELLER, seller_id)] += net - commission
        parts[(COMMISSION, seller_id)] += commission
        parts[(TAX, None)] += tax
    rest = settlement.total - sum(parts.values(), Decimal(0))
    parts[(SHIPPING, None)] += max(rest, Decimal(0))
    return {key: value for key, value in parts.items() if value > 0}


def split(amount: Decimal, weights: dict, currency: str) -> dict:
    """`amount` over `weights` proportionally, to the minor unit, largest remainder first:
    the shares always add up to `amount` exactly (and equal the weights when they sum to it)."""
    total = sum(weights.values(), Decimal(0))
    if amount == 0 or not weights or total <= 0:
        return {key: Decimal(0) for key in weights} | ({} if amount == 0 else {(SHIPPING, None): amount})
    unit = Decimal(1).scaleb(-minor_units(currency))
    exact = {key: amount * w / total for key, w in weights.items()}
    shares = {key: value.quantize(unit, rounding=ROUND_DOWN) for key, value in exact.items()}
    left = int(((amount - sum(shares.values(), Decimal(0))) / unit).to_integral_value(ROUND_HALF_UP))
    for key in sorted(exact, key=lambda k: (shares[k] - exact[k], str(k)))[:left]:
        shares[key] += unit
    return shares


def _account(key) -> str:
    kind, seller_id = key
    return {COMMISSION: A.COMMISSION, TAX: A.TAX, SHIPPING: A.SHIPPING}.get(kind) or seller_account(
        seller_id, "pending"
    )


def post(kind: str, entries: list[tuple[str, int | None, Decimal]], currency: str, *, payment=None, reference=""):
    """One balanced transaction from signed amounts (positive: credit, negative: debit)."""
    entries = [(account, seller_id, amount) for account, seller_id, amount in entries if amount]
    if not entries:
        return None
    if sum(amount for _, _, amount in entries) != 0:
        raise ValueError(f"unbalanced {kind} posting: {entries}")
    txn = uuid.uuid4()
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                transaction_id=txn,
                kind=kind,
                account=account,
                seller_id=seller_id,
                debit=-amount if amount < 0 else Decimal(0),
                credit=amount if amount > 0 else Decimal(0),
                currency=currency,
                order_id=payment.order_id if payment else None,
                payment=payment,
                reference=reference,
            )
            for account, seller_id, amount in entries
        ]
    )
    return txn


def sync_order(order_id: int, settlement: OrderSettlement | None = None) -> None:
    """Bring the order's settlement postings up to its payment (captured, refunded, lost).
    `settlement`: the order's row as the caller just wrote it (else it is read). Part of the
    caller's transaction when there is one (no savepoint of its own)."""
    with transaction.atomic(savepoint=False):
        payment = locked_payment(order_id)
        if payment is None:
            return
        if settlement is None:
            settlement, booked = settlement_and_sales(order_id)
        else:
            booked = settlement_reads.booked(order_id, K.SALE)
        if settlement is None or payment.currency != settlement.currency:
            return
        currency = payment.currency
        sale = split(payment.captured_amount, components(settlement), currency)
        delta = {key: sale.get(key, Decimal(0)) - booked.get(key, Decimal(0)) for key in set(sale) | set(booked)}
        entries = [(_account(k), k[1], v) for k, v in delta.items()]
        entries.append((A.CUSTOMER_RECEIVABLE, None, -sum(delta.values(), Decimal(0))))
        post(K.SALE, entries, currency, payment=payment, reference=f"order-{order_id}")
        _sync_reversals(payment, sale)


def _lost(payment: Payment) -> Decimal:
    if not payment.disputed_amount:  # every dispute adds its amount there: none, none lost
        return Decimal(0)
    lost = Dispute.objects.filter(payment=payment, outcome__status="lost").aggregate(s=Sum("amount"))["s"]
    return lost or Decimal(0)


def _sync_reversals(payment: Payment, sale: dict) -> None:
    order_id, currency = payment.order_id, payment.currency
    refunded, lost = payment.refunded_amount, _lost(payment)
    if not (refunded or lost):
        return
    counter = LedgerEntry.objects.filter(order_id=order_id, kind=K.REVERSAL)
    done_refunds = counter.filter(account=A.REFUNDS).aggregate(s=Sum("credit"))["s"] or Decimal(0)
    done_disputes = counter.filter(account=A.DISPUTES).aggregate(s=Sum("credit"))["s"] or Decimal(0)
    # Recomputed even when the amounts are as posted: a return's lines may arrive after its refund.
    target = reversal_target(payment, refunded + lost, sale, currency)
    booked = settlement_reads.booked(order_id, K.REVERSAL)  # credit − debit: negative for what was taken back
    entries = []
    for key, share in target.items():
        take = share + booked.get(key, Decimal(0))
        if key[0] == SELLER:
            entries.extend(_take_from_seller(order_id, key[1], take))
        else:
            entries.append((_account(key), key[1], -take))
    entries += [(A.REFUNDS, None, refunded - done_refunds), (A.DISPUTES, None, lost - done_disputes)]
    post(K.REVERSAL, entries, currency, payment=payment, reference=f"order-{order_id}")


def reversal_target(payment: Payment, amount: Decimal, sale: dict, currency: str) -> dict:
    """What `amount` (refunded + lost, cumulative) takes back: each return's refund from its
    own lines' components, the rest proportionally over what the sale left (reversal_shares)."""
    returned, covered = _returned_shares(payment, currency), Decimal(0)
    target: dict = defaultdict(Decimal)
    for shares in returned:
        covered += sum(shares.values(), Decimal(0))
        for key, value in shares.items():
            target[key] += value
    left = {key: value - target.get(key, Decimal(0)) for key, value in sale.items()}
    for key, value in reversal_shares(amount - covered, left, currency).items():
        target[key] += value
    return dict(target)


def _returned_shares(payment: Payment, currency: str) -> list[dict]:
    """Per refund that names its returned units: its amount split over those lines' components."""
    settlement = OrderSettlement.objects.filter(order_id=payment.order_id).first()
    named = dict(RefundLines.objects.filter(order_id=payment.order_id).values_list("reference", "lines"))
    if settlement is None or not named:
        return []
    refunds = Refund.objects.filter(payment=payment, reference__in=named).values("reference").annotate(s=Sum("amount"))
    out = []
    for row in refunds:
        weights = line_components(settlement, named[row["reference"]])
        if weights:
            out.append(split(row["s"], weights, currency))
    return out


def line_components(settlement: OrderSettlement, returned: dict[str, int]) -> dict:
    """The components of these returned units: each line's seller share, commission and tax in
    the proportion of its quantity returned (lines recorded without a quantity: none)."""
    currency, parts = settlement.currency, defaultdict(Decimal)
    for line in settlement.lines:
        quantity, taken = line.get("quantity"), returned.get(line["sku"], 0)
        if not quantity or not taken:
            continue
        share = Decimal(min(taken, quantity)) / quantity
        net, tax = Decimal(line["net"]), Decimal(line["tax"])
        commission = quantize(net * Decimal(line["commission_percent"]) / 100, currency)
        parts[(SELLER, line["seller_id"])] += (net - commission) * share
        parts[(COMMISSION, line["seller_id"])] += commission * share
        parts[(TAX, None)] += tax * share
    return {key: value for key, value in parts.items() if value > 0}


@transaction.atomic
def note_refund_lines(order_id: int, reference: str, lines) -> None:
    """RefundRequested naming returned units: keep them, then settle again (the refund itself may
    already be posted proportionally; the cumulative postings then move it to those lines)."""
    _, created = RefundLines.objects.get_or_create(
        order_id=order_id, reference=reference, defaults={"lines": {x.sku: x.quantity for x in lines}}
    )
    if created:
        sync_order(order_id)


def reversal_shares(amount: Decimal, sale: dict, currency: str) -> dict:
    """What `amount` refunded (cumulative) takes back: the lines' components (sellers, commission,
    tax) proportionally first, shipping only beyond them, since returns refund lines, not
    shipping; a full refund (a cancellation) takes everything back."""
    lines = {k: v for k, v in sale.items() if v > 0 and k[0] != SHIPPING}
    on_lines = min(amount, sum(lines.values(), Decimal(0)))
    shares = split(on_lines, lines, currency) if lines else {}
    beyond = amount - on_lines
    if beyond:
        shares[(SHIPPING, None)] = shares.get((SHIPPING, None), Decimal(0)) + beyond
    return shares


def _take_from_seller(order_id: int, seller_id: int, amount: Decimal) -> list:
    """Debit the seller's pending share of this order first, then their available balance."""
    pending = seller_account(seller_id, "pending")
    held = LedgerEntry.objects.filter(order_id=order_id, account=pending).aggregate(c=Sum("credit"), d=Sum("debit"))
    in_pending = max((held["c"] or 0) - (held["d"] or 0), Decimal(0))
    from_pending = min(amount, in_pending) if amount > 0 else amount
    return [
        (pending, seller_id, -from_pending),
        (seller_account(seller_id, "available"), seller_id, from_pending - amount),
    ]


def release_matured(now=None, seller_id: int | None = None) -> int:
    """Move each order's seller share from pending to available once its last sale posting is
    PAYMENTS_PAYOUT_HOLD_DAYS old (the hold covers returns and disputes). Returns the count."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PAYMENTS_PAYOUT_HOLD_DAYS)
    rows = (
        LedgerEntry.objects.filter(account__startswith="seller:", account__endswith=":pending")
        .filter(Q(seller_id=seller_id) if seller_id else Q())
        .values("order_id", "seller_id")
        .annotate(c=Sum("credit"), d=Sum("debit"), last_sale=Max("created_at", filter=Q(kind=K.SALE)))
        .filter(last_sale__lte=cutoff)
    )
    released = 0
    for row in rows:
        if row["c"] - row["d"] > 0:
            released += _release(row["order_id"], row["seller_id"])
    return released


def _release(order_id: int, seller_id: int) -> int:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(order_id=order_id)  # serialises with sync_order
        pending = seller_account(seller_id, "pending")
        held = LedgerEntry.objects.filter(order_id=order_id, account=pending).aggregate(c=Sum("credit"), d=Sum("debit"))
        amount = (held["c"] or 0) - (held["d"] or 0)
        if amount <= 0:
            return 0
        entries = [(pending, seller_id, -amount), (seller_account(seller_id, "available"), seller_id, amount)]
        post(K.RELEASE, entries, payment.currency, payment=payment, reference=f"order-{order_id}")
        return 1


def dispute_closed(dispute_id: str, status: str) -> str:
    """charge.dispute.closed: a lost dispute is taken back from the sellers like a refund."""
    from ..models import DisputeOutcome

    with transaction.atomic():
        dispute = Dispute.objects.select_related("payment").filter(provider_dispute_id=dispute_id).first()
        if dispute is None:
            return "unknown dispute"
        _, created = DisputeOutcome.objects.get_or_create(dispute=dispute, defaults={"status": status})
        if not created:
            return "no change"
        sync_order(dispute.payment.order_id)
        return f"dispute {status}"
