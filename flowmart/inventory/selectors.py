"""Reads of the inventory context: stock with its derived `available`, and the
invariant check that proves the stock rows, the ledger and the reservations agree."""

from dataclasses import dataclass

from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from flowmart.common.roles import StaffScope

from .models import Reservation, SellerSku, SellerStaff, StockLevel, StockMovement


def staff_scope(user) -> StaffScope:
    """The SKUs this staff user may receive, adjust and list (all of them for operations)."""
    return StaffScope(user, SellerStaff, SellerSku)


def stock_levels(*, sku: str | None = None, warehouse_code: str | None = None) -> QuerySet[StockLevel]:
    """Stock rows with `available_qty` computed by the database (never stored)."""
    qs = StockLevel.objects.select_related("warehouse").annotate(available_qty=F("on_hand") - F("reserved"))
    if sku:
        qs = qs.filter(sku=sku)
    if warehouse_code:
        qs = qs.filter(warehouse__code=warehouse_code)
    return qs.order_by("sku", "warehouse__code")


def total_available(skus) -> dict[str, int]:
    rows = (
        StockLevel.objects.filter(sku__in=list(skus))
        .values("sku")
        .annotate(total=Sum(F("on_hand") - F("reserved")))
        .order_by()
    )
    return {row["sku"]: row["total"] for row in rows}


@dataclass(frozen=True)
class Drift:
    sku: str
    warehouse_code: str
    problem: str
    expected: int
    actual: int

    def __str__(self):
        return f"{self.sku} @ {self.warehouse_code}: {self.problem} (expected {self.expected}, found {self.actual})"


def _sum_of(queryset, field: str):
    """A correlated SUM over rows of the same (sku, warehouse) as the outer StockLevel."""
    total = (
        queryset.filter(sku=OuterRef("sku"), warehouse=OuterRef("warehouse"))
        .order_by()
        .values("sku")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def inventory_drift() -> list[Drift]:
    """Every disagreement between stock rows, ledger and reservations. One SQL statement
    reads all three, so it sees one snapshot even while reservations are being made."""
    active = Reservation.objects.filter(status__in=Reservation.ACTIVE)
    rows = (
        StockLevel.objects.select_related("warehouse")
        .annotate(
            ledger_on_hand=_sum_of(StockMovement.objects.all(), "on_hand_delta"),
            ledger_reserved=_sum_of(StockMovement.objects.all(), "reserved_delta"),
            held=_sum_of(active, "quantity"),
        )
        .filter(
            ~Q(on_hand=F("ledger_on_hand"))
            | ~Q(reserved=F("ledger_reserved"))
            | ~Q(reserved=F("held"))
            | Q(on_hand__lt=0)
            | Q(reserved__lt=0)
            | Q(reserved__gt=F("on_hand"))
        )
        .order_by("sku", "warehouse__code")
    )
    drift: list[Drift] = []
    for lv in rows:
        code = lv.warehouse.code
        if lv.on_hand != lv.ledger_on_hand:
            drift.append(Drift(lv.sku, code, "on_hand differs from the ledger", lv.ledger_on_hand, lv.on_hand))
        if lv.reserved != lv.ledger_reserved:
            drift.append(Drift(lv.sku, code, "reserved differs from the ledger", lv.ledger_reserved, lv.reserved))
        if lv.reserved != lv.held:
            drift.append(Drift(lv.sku, code, "reserved differs from open+paid reservations", lv.held, lv.reserved))
        if lv.on_hand < 0 or lv.reserved < 0:
            drift.append(Drift(lv.sku, code, "negative stock", 0, min(lv.on_hand, lv.reserved)))
        if lv.reserved > lv.on_hand:
            drift.append(Drift(lv.sku, code, "more reserved than on hand", lv.on_hand, lv.reserved))
    drift += _orphans()
    return drift


def _orphans() -> list[Drift]:
    """Ledger lines for a (sku, warehouse) that has no stock row at all."""
    has_level = StockLevel.objects.filter(sku=OuterRef("sku"), warehouse=OuterRef("warehouse"))
    rows = (
        StockMovement.objects.filter(~Exists(has_level))
        .values("sku", "warehouse__code")
        .annotate(total=Sum("on_hand_delta"))
        .order_by("sku", "warehouse__code")
    )
    return [Drift(r["sku"], r["warehouse__code"], "ledger lines without a stock row", r["total"], 0) for r in rows]
