"""Stored business calendars: saving them and loading a policy's calendar."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_runtime.logging import get_logger
from sla_service.business_calendar import ALWAYS_OPEN, BusinessCalendar, parse_weekly_hours
from sla_service.models import SlaCalendar, SlaPolicy

log = get_logger(__name__)


def calendar_from_row(row: SlaCalendar) -> BusinessCalendar:
    """Convert a stored calendar to the form the minute arithmetic works on."""
    if row.always_open:
        return ALWAYS_OPEN
    return BusinessCalendar(
        time_zone=row.time_zone,
        weekly_hours=parse_weekly_hours(row.weekly_hours),
        holiday_dates=frozenset(date.fromisoformat(text) for text in row.holiday_dates),
        holiday_country=row.holiday_country,
    )


async def load_calendar(session: AsyncSession, policy: SlaPolicy | None) -> BusinessCalendar:
    """Return the calendar of `policy`; 24/7 when it has none or there is no policy."""
    if policy is None or policy.calendar_id is None:
        return ALWAYS_OPEN
    row = await session.get(SlaCalendar, policy.calendar_id)
    return ALWAYS_OPEN if row is None else calendar_from_row(row)


async def find_calendar(session: AsyncSession, name: str) -> SlaCalendar | None:
    """Return the calendar called `name`, or None."""
    result = await session.execute(select(SlaCalendar).where(SlaCalendar.name == name))
    return result.scalar_one_or_none()


async def list_calendars(session: AsyncSession) -> Sequence[SlaCalendar]:
    """Return every calendar by name."""
    return (await session.execute(select(SlaCalendar).order_by(SlaCalendar.name))).scalars().all()


async def upsert_calendar(
    session: AsyncSession,
    name: str,
    time_zone: str,
    weekly_hours: dict[str, list[list[str]]],
    holiday_dates: list[date],
    holiday_country: str | None,
    always_open: bool,
) -> SlaCalendar:
    """Create the calendar `name` or replace its hours and holidays. The caller commits.

    Policies using it apply the new hours to tickets created afterwards.
    """
    values = {
        "time_zone": time_zone,
        "weekly_hours": weekly_hours,
        "holiday_dates": [day.isoformat() for day in holiday_dates],
        "holiday_country": holiday_country,
        "always_open": always_open,
    }
    statement = (
        insert(SlaCalendar)
        .values(name=name, **values)
        .on_conflict_do_update(index_elements=[SlaCalendar.name], set_=values)
        .returning(SlaCalendar)
        .execution_options(populate_existing=True)
    )
    calendar = (await session.execute(statement)).scalar_one()
    log.info("sla calendar saved", calendar_id=calendar.id, name=name, time_zone=time_zone)
    return calendar
