"""Business calendars: when the SLA clock runs, and minute arithmetic over open hours.

A calendar has weekly opening intervals in local wall-clock time of an IANA time zone,
several per day allowed. It is closed all day on its holidays, which are fixed dates
plus, optionally, the public holidays of one country from the `holidays` package. A
calendar marked `always_open` is 24/7 and ignores the rest.

Intervals are converted to UTC one local day at a time with `zoneinfo`, so a day with a
daylight saving change has its real length: 01:00-04:00 in Europe/Berlin is two hours
long on the spring-forward day and four on the fall-back day. A wall time that does not
exist (inside the spring-forward gap) is read with the offset before the change, which
moves it forward by the gap; an ambiguous one (inside the fall-back overlap) is its first
occurrence.
"""

import functools
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

MINUTES_PER_DAY = 24 * 60

# A calendar with no open minute in this many days is taken as never open, which stops
# the search instead of looping forever.
MAX_SEARCH_DAYS = 5 * 366

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ClosedCalendarError(ValueError):
    """Raised when a calendar has no open time within `MAX_SEARCH_DAYS`."""


@dataclass(frozen=True)
class OpeningInterval:
    """Open from `start_minute` to `end_minute` (exclusive), in minutes after local midnight.

    `end_minute` may be 1440, meaning the next local midnight.
    """

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(
                f"opening interval {self.start_minute}-{self.end_minute} must satisfy "
                f"0 <= start < end <= {MINUTES_PER_DAY}"
            )


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours per weekday (0 = Monday) in `time_zone`, and closed dates."""

    time_zone: str = "UTC"
    weekly_hours: Mapping[int, tuple[OpeningInterval, ...]] = field(default_factory=dict)
    holiday_dates: frozenset[date] = frozenset()
    holiday_country: str | None = None
    always_open: bool = False

    @functools.cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_holiday(self, day: date) -> bool:
        """Return whether the calendar is closed all day on the local date `day`."""
        if day in self.holiday_dates:
            return True
        if self.holiday_country is None:
            return False
        return day in _country_holidays(self.holiday_country, day.year)


ALWAYS_OPEN = BusinessCalendar(always_open=True)


@functools.lru_cache(maxsize=256)
def _country_holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def parse_clock_time(text: str) -> int:
    """Return minutes after midnight for "HH:MM", accepting "24:00" as the day's end."""
    hours_text, minutes_text = text.split(":")
    hours, minutes = int(hours_text), int(minutes_text)
    if not (0 <= minutes < 60 and 0 <= hours * 60 + minutes <= MINUTES_PER_DAY):
        raise ValueError(f"invalid clock time {text!r}, expected HH:MM from 00:00 to 24:00")
    return hours * 60 + minutes


def parse_weekly_hours(
    weekly: Mapping[str, list[list[str]]],
) -> dict[int, tuple[OpeningInterval, ...]]:
    """Convert {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], ...} to opening intervals.

    Intervals of one day are sorted and must not overlap.
    """
    result: dict[int, tuple[OpeningInterval, ...]] = {}
    for name, pairs in weekly.items():
        if name not in WEEKDAY_NAMES:
            raise ValueError(f"unknown weekday {name!r}, expected one of {WEEKDAY_NAMES}")
        intervals = sorted(
            (
                OpeningInterval(parse_clock_time(start), parse_clock_time(end))
                for start, end in pairs
            ),
            key=lambda interval: interval.start_minute,
        )
        for earlier, later in itertools.pairwise(intervals):
            if later.start_minute < earlier.end_minute:
                raise ValueError(f"opening intervals of {name} overlap")
        result[WEEKDAY_NAMES.index(name)] = tuple(intervals)
    return result


def _local_wall_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    # Aware arithmetic with one tzinfo is wall-clock arithmetic, so 1440 minutes is the
    # next local midnight whatever the day's real length.
    wall = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minute)
    return wall.astimezone(UTC)


def open_periods(
    calendar: BusinessCalendar, since: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Yield the UTC open periods that end after `since`, in order, clipped to start at it.

    Raises `ClosedCalendarError` after `MAX_SEARCH_DAYS` days without an open period.
    """
    since = since.astimezone(UTC)
    if calendar.always_open:
        yield since, datetime.max.replace(tzinfo=UTC)
        return

    # The previous local day is included because an interval ending at 24:00 on a day
    # with a DST change may end after `since` in UTC terms.
    day = since.astimezone(calendar.zone).date() - timedelta(days=1)
    days_without_open_time = 0
    while days_without_open_time < MAX_SEARCH_DAYS:
        found = False
        if not calendar.is_holiday(day):
            for interval in calendar.weekly_hours.get(day.weekday(), ()):
                start = _local_wall_to_utc(day, interval.start_minute, calendar.zone)
                end = _local_wall_to_utc(day, interval.end_minute, calendar.zone)
                if end <= since or end <= start:
                    continue
                found = True
                yield max(start, since), end
        days_without_open_time = 0 if found else days_without_open_time + 1
        day += timedelta(days=1)
    raise ClosedCalendarError(f"calendar has no open time within {MAX_SEARCH_DAYS} days")


def add_business_minutes(start: datetime, minutes: int, calendar: BusinessCalendar) -> datetime:
    """Return the UTC moment when `minutes` of open time have passed since `start`.

    Zero minutes returns `start` itself, even outside opening hours.
    """
    if minutes < 0:
        raise ValueError(f"minutes must not be negative, got {minutes}")
    remaining = timedelta(minutes=minutes)
    if not remaining:
        return start.astimezone(UTC)

    for period_start, period_end in open_periods(calendar, start):
        length = period_end - period_start
        if remaining <= length:
            return period_start + remaining
        remaining -= length
    raise AssertionError("open_periods ends only by raising")


def business_minutes_between(earlier: datetime, later: datetime, calendar: BusinessCalendar) -> int:
    """Return the whole minutes of open time in [`earlier`, `later`), 0 when later <= earlier."""
    if later <= earlier:
        return 0
    later = later.astimezone(UTC)
    total = timedelta()
    for period_start, period_end in open_periods(calendar, earlier):
        if period_start >= later:
            break
        total += min(period_end, later) - period_start
    return int(total.total_seconds() // 60)
