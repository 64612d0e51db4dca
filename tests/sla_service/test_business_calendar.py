"""Business minute arithmetic across weekends, holidays, midnight and DST changes."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sla_service.business_calendar import (
    ALWAYS_OPEN,
    BusinessCalendar,
    add_business_minutes,
    business_minutes_between,
    parse_weekly_hours,
)

BERLIN = ZoneInfo("Europe/Berlin")

OFFICE_HOURS = parse_weekly_hours(
    {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
)


def berlin(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def office(
    holiday_dates: frozenset[date] = frozenset(), country: str | None = None
) -> BusinessCalendar:
    return BusinessCalendar(
        time_zone="Europe/Berlin",
        weekly_hours=OFFICE_HOURS,
        holiday_dates=holiday_dates,
        holiday_country=country,
    )


def test_always_open_adds_wall_clock_minutes() -> None:
    start = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)

    assert add_business_minutes(start, 90, ALWAYS_OPEN) == start + timedelta(minutes=90)
    assert business_minutes_between(start, start + timedelta(hours=50), ALWAYS_OPEN) == 3000


def test_friday_afternoon_rolls_over_the_weekend_and_lunch() -> None:
    # Friday 2026-12-04 16:00: one hour left that day, then Monday 09:00-12:00, 13:00-...
    start = berlin(2026, 12, 4, 16)

    due = add_business_minutes(start, 5 * 60, office())

    assert due == berlin(2026, 12, 7, 14)
    assert business_minutes_between(start, due, office()) == 5 * 60


def test_start_outside_hours_begins_at_next_opening() -> None:
    saturday_night = berlin(2026, 12, 5, 23, 59)

    assert add_business_minutes(saturday_night, 1, office()) == berlin(2026, 12, 7, 9, 1)


def test_fixed_holiday_is_skipped() -> None:
    start = berlin(2026, 12, 4, 17)

    due = add_business_minutes(start, 60, office(holiday_dates=frozenset({date(2026, 12, 7)})))

    assert due == berlin(2026, 12, 8, 10)


def test_country_public_holidays_are_skipped() -> None:
    # 2026-12-24 is a Thursday; 25 and 26 December are public holidays in Germany.
    start = berlin(2026, 12, 24, 16, 30)

    due = add_business_minutes(start, 60, office(country="DE"))

    assert due == berlin(2026, 12, 28, 9, 30)


def test_interval_until_midnight_continues_next_morning() -> None:
    evening = BusinessCalendar(
        time_zone="Europe/Berlin",
        weekly_hours=parse_weekly_hours({"mon": [["20:00", "24:00"]], "tue": [["00:00", "02:00"]]}),
    )
    start = berlin(2026, 12, 7, 23)

    due = add_business_minutes(start, 120, evening)

    assert due == berlin(2026, 12, 8, 1)
    assert business_minutes_between(start, due, evening) == 120


NIGHT_SHIFT = BusinessCalendar(
    time_zone="Europe/Berlin",
    weekly_hours=parse_weekly_hours({"sun": [["01:00", "04:00"]]}),
)


@pytest.mark.parametrize(
    ("sunday", "open_minutes"),
    [
        # 2026-03-29: clocks jump from 02:00 to 03:00, so 01:00-04:00 lasts two hours.
        (date(2026, 3, 29), 120),
        # 2026-10-25: clocks fall back from 03:00 to 02:00, so it lasts four hours.
        (date(2026, 10, 25), 240),
        (date(2026, 6, 7), 180),
    ],
)
def test_opening_interval_has_its_real_length_on_dst_days(sunday: date, open_minutes: int) -> None:
    day_start = datetime(sunday.year, sunday.month, sunday.day, tzinfo=BERLIN)
    day_end = day_start + timedelta(days=1)

    assert business_minutes_between(day_start, day_end, NIGHT_SHIFT) == open_minutes


def test_adding_minutes_across_spring_forward() -> None:
    start = berlin(2026, 3, 29, 1, 30)

    due = add_business_minutes(start, 60, NIGHT_SHIFT)

    # 01:30 CET is 00:30 UTC; an hour of open time later is 01:30 UTC, 03:30 CEST.
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert due.astimezone(BERLIN).hour == 3


def test_adding_minutes_across_fall_back() -> None:
    start = berlin(2026, 10, 25, 1, 30)

    due = add_business_minutes(start, 120, NIGHT_SHIFT)

    # 01:30 CEST is 23:30 UTC; two hours later the wall clock shows 02:30 the second time.
    assert due == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert business_minutes_between(start, due, NIGHT_SHIFT) == 120


def test_overlapping_intervals_are_rejected() -> None:
    with pytest.raises(ValueError, match="overlap"):
        parse_weekly_hours({"mon": [["09:00", "12:00"], ["11:00", "13:00"]]})


def test_calendar_without_open_hours_raises() -> None:
    with pytest.raises(ValueError, match="no open time"):
        add_business_minutes(berlin(2026, 1, 1, 0), 1, BusinessCalendar(time_zone="Europe/Berlin"))
