"""Breach and warning timers of a ticket's targets, kept in step with its SLA state.

Every target with a due time that is neither met nor paused has one pending timer per
warning fraction and one for the breach (fraction 1.0). `sync_timers` is called after
every change to a ticket's targets and makes the table match: it moves pending timers to
the new due times, creates missing ones, and cancels those of a met or paused target.
A fired timer is never moved or re-armed, so each warning and breach is sent once even
when the due time later moves.

NOTE: a fraction removed from `HELPDESK_SLA_WARNING_FRACTIONS` leaves the pending timers
already armed for it, which still fire.
"""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_runtime.logging import get_logger
from sla_service.business_calendar import BusinessCalendar, add_business_minutes
from sla_service.models import SlaPause, SlaPolicy, SlaTarget, SlaTimer

log = get_logger(__name__)

BREACH_FRACTION = 1.0


class TargetKind(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class TimerState(StrEnum):
    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"


def timer_due_times(
    started_at: datetime,
    target_minutes: int,
    due_at: datetime,
    extra_minutes: int,
    calendar: BusinessCalendar,
    warning_fractions: tuple[float, ...],
) -> dict[float, datetime]:
    """Return the due time of each warning fraction and of the breach (fraction 1.0).

    A warning falls after `fraction` of the target's business minutes, plus the
    `extra_minutes` of pause that also moved the due time.
    """
    due_times = {
        fraction: add_business_minutes(
            started_at, round(fraction * target_minutes) + extra_minutes, calendar
        )
        for fraction in warning_fractions
    }
    due_times[BREACH_FRACTION] = due_at
    return due_times


async def is_paused(session: AsyncSession, ticket_id: uuid.UUID) -> bool:
    """Return whether the ticket has an open pause of its resolution clock."""
    open_pause = exists().where(SlaPause.ticket_id == ticket_id, SlaPause.ended_at.is_(None))
    return bool(await session.scalar(select(open_pause)))


async def _arm(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    kind: TargetKind,
    due_times: dict[float, datetime],
) -> None:
    target_due_at = due_times[BREACH_FRACTION]
    rows = [
        {
            "ticket_id": ticket_id,
            "target": kind.value,
            "fraction": fraction,
            "due_at": due_at,
            "target_due_at": target_due_at,
            "state": TimerState.PENDING.value,
        }
        for fraction, due_at in due_times.items()
    ]
    statement = insert(SlaTimer).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            constraint="uq_sla_timers_ticket_target",
            set_={
                "due_at": statement.excluded.due_at,
                "target_due_at": statement.excluded.target_due_at,
                "state": TimerState.PENDING.value,
            },
            where=SlaTimer.state != TimerState.FIRED.value,
        )
    )


async def cancel_timers(session: AsyncSession, ticket_id: uuid.UUID, kind: TargetKind) -> None:
    """Cancel the pending timers of one target; fired timers stay fired."""
    await session.execute(
        update(SlaTimer)
        .where(
            SlaTimer.ticket_id == ticket_id,
            SlaTimer.target == kind.value,
            SlaTimer.state == TimerState.PENDING.value,
        )
        .values(state=TimerState.CANCELLED.value)
    )


async def sync_timers(
    session: AsyncSession,
    target: SlaTarget,
    policy: SlaPolicy | None,
    calendar: BusinessCalendar,
    warning_fractions: tuple[float, ...],
) -> None:
    """Arm or cancel the timers of both targets of `target`'s ticket. The caller commits."""
    first_response_minutes = policy.first_response_minutes if policy is not None else None
    if (
        first_response_minutes is None
        or target.first_response_due is None
        or target.first_response_at is not None
    ):
        await cancel_timers(session, target.ticket_id, TargetKind.FIRST_RESPONSE)
    else:
        due_times = timer_due_times(
            target.started_at,
            first_response_minutes,
            target.first_response_due,
            0,
            calendar,
            warning_fractions,
        )
        await _arm(session, target.ticket_id, TargetKind.FIRST_RESPONSE, due_times)

    resolution_minutes = policy.resolution_minutes if policy is not None else None
    if (
        resolution_minutes is None
        or target.resolution_due is None
        or target.resolved_at is not None
        or await is_paused(session, target.ticket_id)
    ):
        await cancel_timers(session, target.ticket_id, TargetKind.RESOLUTION)
    else:
        due_times = timer_due_times(
            target.started_at,
            resolution_minutes,
            target.resolution_due,
            target.paused_minutes,
            calendar,
            warning_fractions,
        )
        await _arm(session, target.ticket_id, TargetKind.RESOLUTION, due_times)

    log.debug("sla timers synced", ticket_id=str(target.ticket_id))
