"""The billing calendar, pure functions (no database).

Cycle n of a subscription is billed at `anchor + (n − anchor_cycle) × interval`, counted on
the customer's wall clock in their time zone and converted to UTC only at the end:

- months are counted from the anchor, never from the previous date, so 31 Jan → 28/29 Feb →
  31 Mar (the day is clamped to the month's length, then comes back);
- a daily or weekly plan bills at the same local time across a DST change (the UTC gap is
  23 or 25 hours that day); a wall time that does not exist (spring forward) is read with the
  offset before the change, i.e. one hour later on the wall clock;
- period n is [billing_at(n), billing_at(n + 1)): contiguous, no gap, no overlap.
"""

import calendar as _calendar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones


def valid_time_zone(name: str) -> bool:
    return name in _zones()


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones() | {"UTC"}
    return _ZONES


_ZONES: set[str] | None = None


def step(wall: datetime, interval: str, count: int) -> datetime:
    """The naive wall time `count` intervals after `wall` (month days clamped)."""
    if interval == "day":
        return wall + timedelta(days=count)
    if interval == "week":
        return wall + timedelta(weeks=count)
    year, month0 = divmod(wall.month - 1 + count, 12)
    year += wall.year
    day = min(wall.day, _calendar.monthrange(year, month0 + 1)[1])
    return wall.replace(year=year, month=month0 + 1, day=day)


def billing_at(anchor_at: datetime, tz_name: str, interval: str, interval_count: int, steps: int) -> datetime:
    """The UTC moment `steps` intervals after the anchor, on the customer's wall clock."""
    tz = ZoneInfo(tz_name)
    wall = anchor_at.astimezone(tz).replace(tzinfo=None)
    return step(wall, interval, interval_count * steps).replace(tzinfo=tz).astimezone(UTC)


def cycle_at(sub, cycle: int) -> datetime:
    """When cycle `cycle` of a subscription (anything with the calendar fields) is billed."""
    plan = sub.plan
    return billing_at(sub.anchor_at, sub.time_zone, plan.interval, plan.interval_count, cycle - sub.anchor_cycle)


def first_cycle_not_before(sub, cycle: int, moment: datetime) -> int:
    """The first cycle ≥ `cycle` whose billing moment is not before `moment` (missed cycles
    after a pause or an outage are not billed in a burst). Bounded: plans are ≥ 1 day."""
    lo, hi = cycle, cycle + 1
    while cycle_at(sub, hi) < moment:  # gallop, then bisect
        lo, hi = hi, hi + (hi - cycle + 1)
    while lo < hi:
        mid = (lo + hi) // 2
        if cycle_at(sub, mid) < moment:
            lo = mid + 1
        else:
            hi = mid
    return lo


def local_day(moment: datetime, tz_name: str):
    """The customer's calendar day of a moment: renewals due that day ship together."""
    return moment.astimezone(ZoneInfo(tz_name)).date()
