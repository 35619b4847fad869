"""Where an order ships from. Pure functions over a snapshot of locked stock, so the
decision is made on exactly the numbers the reservation will change.

Rules (issue 3): prefer ONE warehouse that can ship every line, the nearest to the
destination country (ties by code); otherwise split across as few warehouses as the
greedy rule finds — repeatedly take the warehouse covering the most of what is still
missing (whole lines first, then units), nearest first, ties by code. A line is split
between warehouses only when no single warehouse holds all of it. A SKU whose total
available stock is below the demand makes the whole order short.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from .geo import distance_to_country


@dataclass
class Site:
    """One warehouse as routing sees it: how far away and what it can give, per SKU."""

    code: str
    country: str
    distance: float
    available: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Pick:
    sku: str
    quantity: int
    warehouse_code: str


@dataclass(frozen=True)
class Plan:
    picks: tuple[Pick, ...] = ()
    short: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.short


def sites_from_levels(levels, destination: str | None) -> dict[str, Site]:
    """Group locked StockLevel rows (warehouse loaded) into Sites keyed by warehouse code."""
    sites: dict[str, Site] = {}
    for level in levels:
        wh = level.warehouse
        site = sites.get(wh.code)
        if site is None:
            site = sites[wh.code] = Site(
                wh.code, wh.country, distance_to_country(wh.latitude, wh.longitude, destination)
            )
        site.available[level.sku] = max(0, level.on_hand - level.reserved)
    return sites


def plan(demand: dict[str, int], sites: dict[str, Site], preferred: frozenset[str] = frozenset()) -> Plan:
    """Allocate `demand` (sku → summed quantity) over `sites`; `preferred` warehouses
    (those an order already ships from, for amendments) win among equals."""
    totals: dict[str, int] = defaultdict(int)
    for site in sites.values():
        for sku, qty in site.available.items():
            totals[sku] += qty
    short = tuple(sorted(sku for sku, qty in demand.items() if totals[sku] < qty))
    if short:
        return Plan(short=short)
    whole = [s for s in sites.values() if all(s.available.get(sku, 0) >= qty for sku, qty in demand.items())]
    if whole:
        best = min(whole, key=lambda s: (s.code not in preferred, s.distance, s.code))
        return Plan(picks=tuple(Pick(sku, qty, best.code) for sku, qty in sorted(demand.items())))
    return Plan(picks=_greedy_split(demand, sites, preferred))


def _greedy_split(demand: dict[str, int], sites: dict[str, Site], preferred: frozenset[str]) -> tuple[Pick, ...]:
    remaining = {sku: qty for sku, qty in demand.items() if qty > 0}
    unused = dict(sites)
    picks: list[Pick] = []
    while remaining:

        def coverage(site: Site):
            lines = sum(1 for sku, qty in remaining.items() if site.available.get(sku, 0) >= qty)
            units = sum(min(site.available.get(sku, 0), qty) for sku, qty in remaining.items())
            return (-lines, -units, site.code not in preferred, site.distance, site.code)

        best = min(unused.values(), key=coverage)
        del unused[best.code]
        for sku in sorted(remaining):
            take = min(best.available.get(sku, 0), remaining[sku])
            if take > 0:
                picks.append(Pick(sku, take, best.code))
                remaining[sku] -= take
                if remaining[sku] == 0:
                    del remaining[sku]
    return tuple(picks)
