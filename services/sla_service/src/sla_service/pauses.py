"""Pauses of the resolution clock while a ticket waits on someone else.

A ticket entering Pending or Waiting on Customer opens a pause, and leaving for any
other status closes it. The business minutes the pause lasted, in the policy's calendar,
move the resolution due time later by as much. Resolving straight from a paused status closes the
pause at the resolution time, so the waiting time does not count against the target.
Reopening a resolved ticket resumes the clock, or opens a new pause when it is reopened
into a paused status. The first-response clock never pauses.
"""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import TicketStatus
from helpdesk_runtime.logging import get_logger
from sla_service.business_calendar import BusinessCalendar, business_minutes_between
from sla_service.models import SlaPause
from sla_service.times import isoformat_or_none

log = get_logger(__name__)

PAUSE_STATUSES = frozenset({TicketStatus.PENDING, TicketStatus.WAITING_ON_CUSTOMER})


async def _open_pause(session: AsyncSession, ticket_id: uuid.UUID) -> SlaPause | None:
    result = await session.execute(
        select(SlaPause).where(SlaPause.ticket_id == ticket_id, SlaPause.ended_at.is_(None))
    )
    return result.scalar_one_or_none()


async def start_pause(session: AsyncSession, ticket_id: uuid.UUID, at: datetime) -> None:
    """Open a pause at `at` unless one is already open. The caller commits."""
    if await _open_pause(session, ticket_id) is not None:
        return
    session.add(SlaPause(ticket_id=ticket_id, started_at=at))
    log.info("sla resolution clock paused", ticket_id=str(ticket_id), at=at.isoformat())


async def end_pause(
    session: AsyncSession, ticket_id: uuid.UUID, at: datetime, calendar: BusinessCalendar
) -> int | None:
    """Close the open pause at `at` and return its business minutes, None when none is open.

    The caller commits.
    """
    pause = await _open_pause(session, ticket_id)
    if pause is None:
        return None

    # An event may carry a time before the pause started (clocks of producers differ),
    # and such a pause lasted no time at all.
    ended_at = max(at, pause.started_at)
    pause.ended_at = ended_at
    pause.business_minutes = business_minutes_between(pause.started_at, ended_at, calendar)
    log.info(
        "sla resolution clock resumed",
        ticket_id=str(ticket_id),
        paused_since=isoformat_or_none(pause.started_at),
        business_minutes=pause.business_minutes,
    )
    return pause.business_minutes


async def list_pauses(session: AsyncSession, ticket_id: uuid.UUID) -> list[SlaPause]:
    """Return the ticket's pauses, oldest first."""
    result = await session.execute(
        select(SlaPause).where(SlaPause.ticket_id == ticket_id).order_by(SlaPause.started_at)
    )
    return list(result.scalars().all())
