"""The billing calendar: anchored months, the customer's time zone, DST, contiguous periods."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from flowmart.subscriptions.calendar import billing_at, cycle_at, first_cycle_not_before


def sub(anchor, tz="UTC", interval="month", count=1, anchor_cycle=1):
    return SimpleNamespace(
        anchor_at=anchor,
        time_zone=tz,
        anchor_cycle=anchor_cycle,
        plan=SimpleNamespace(interval=interval, interval_count=count),
    )


def local(moment, tz):
    return moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def test_month_end_anchor_comes_back_to_the_31st():
    s = sub(datetime(2027, 1, 31, 9, 0, tzinfo=UTC))
    dates = [cycle_at(s, n).date().isoformat() for n in range(1, 6)]
    assert dates == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]


def test_leap_february_is_the_29th():
    s = sub(datetime(2028, 1, 31, 9, 0, tzinfo=UTC))
    assert cycle_at(s, 2).date().isoformat() == "2028-02-29"
    assert cycle_at(s, 3).date().isoformat() == "2028-03-31"


def test_monthly_in_the_customers_zone_keeps_local_time_across_dst():
    tz = "America/New_York"
    anchor = datetime(2027, 1, 15, 8, 30, tzinfo=ZoneInfo(tz))  # EST (UTC-5)
    s = sub(anchor.astimezone(UTC), tz)
    march, april = cycle_at(s, 3), cycle_at(s, 4)  # 15 Mar and 15 Apr are EDT (UTC-4)
    assert local(march, tz) == datetime(2027, 3, 15, 8, 30)
    assert local(april, tz) == datetime(2027, 4, 15, 8, 30)
    assert march.hour == 12 and cycle_at(s, 1).hour == 13  # the UTC hour moved, the wall clock did not


def test_daily_plan_across_the_spring_change_is_a_23_hour_day():
    tz = "Europe/Berlin"
    anchor = datetime(2027, 3, 27, 10, 0, tzinfo=ZoneInfo(tz))
    s = sub(anchor.astimezone(UTC), tz, "day", 1)
    assert cycle_at(s, 2) - cycle_at(s, 1) == timedelta(hours=23)  # 28 Mar 2027: clocks go forward
    assert local(cycle_at(s, 2), tz) == datetime(2027, 3, 28, 10, 0)
    autumn = sub(datetime(2027, 10, 30, 10, 0, tzinfo=ZoneInfo(tz)).astimezone(UTC), tz, "day", 1)
    assert cycle_at(autumn, 2) - cycle_at(autumn, 1) == timedelta(hours=25)


def test_a_wall_time_that_does_not_exist_is_billed_an_hour_later():
    tz = "Europe/Berlin"
    anchor = datetime(2027, 3, 21, 2, 30, tzinfo=ZoneInfo(tz))
    s = sub(anchor.astimezone(UTC), tz, "week", 1)
    assert local(cycle_at(s, 2), tz) == datetime(2027, 3, 28, 3, 30)
    assert local(cycle_at(s, 3), tz) == datetime(2027, 4, 4, 2, 30)  # back on the anchor's time


def test_local_day_decides_the_date_not_utc():
    tz = "Pacific/Auckland"  # 31 Jan 08:00 local is 30 Jan in UTC
    anchor = datetime(2027, 1, 31, 8, 0, tzinfo=ZoneInfo(tz))
    s = sub(anchor.astimezone(UTC), tz)
    assert [local(cycle_at(s, n), tz).date().isoformat() for n in (2, 3)] == ["2027-02-28", "2027-03-31"]


def test_periods_are_contiguous():
    s = sub(datetime(2027, 1, 31, 23, 59, tzinfo=UTC), "Europe/London", "month", 1)
    periods = [(cycle_at(s, n), cycle_at(s, n + 1)) for n in range(1, 40)]
    for (start, end), (next_start, _) in zip(periods, periods[1:], strict=False):
        assert end == next_start and start < end


def test_first_cycle_not_before_skips_what_a_pause_missed():
    s = sub(datetime(2027, 1, 10, tzinfo=UTC), "UTC", "week", 1)
    assert first_cycle_not_before(s, 2, datetime(2027, 3, 1, tzinfo=UTC)) == 9  # 7 Mar
    assert cycle_at(s, 9).date().isoformat() == "2027-03-07"
    assert first_cycle_not_before(s, 2, datetime(2027, 1, 1, tzinfo=UTC)) == 2


def test_billing_at_counts_from_the_anchor_not_the_previous_date():
    anchor = datetime(2027, 1, 31, tzinfo=UTC)
    assert billing_at(anchor, "UTC", "month", 3, 1).date().isoformat() == "2027-04-30"
    assert billing_at(anchor, "UTC", "month", 3, 2).date().isoformat() == "2027-07-31"
