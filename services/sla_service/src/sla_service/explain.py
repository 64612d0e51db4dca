"""The reasoning behind a ticket's due times: policy, calendar, start, pauses, arithmetic."""

import uuid
from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from sla_service.business_calendar import add_business_minutes
from sla_service.calendars import load_calendar
from sla_service.models import SlaCalendar, SlaPolicy, SlaTarget
from sla_service.pauses import list_pauses
from sla_service.policies import policy_name

ALWAYS_OPEN_NAME = "24/7"


class PolicyExplained(msgspec.Struct, kw_only=True):
    id: int
    name: str
    first_response_minutes: int | None
    resolution_minutes: int | None


class CalendarExplained(msgspec.Struct, kw_only=True):
    """The calendar the minutes count in; `id` is None for the built-in 24/7 calendar."""

    id: int | None
    name: str
    time_zone: str
    always_open: bool
    weekly_hours: dict[str, list[list[str]]]
    holiday_dates: list[str]
    holiday_country: str | None


class PauseExplained(msgspec.Struct, kw_only=True):
    started_at: datetime
    ended_at: datetime | None
    business_minutes: int | None


class DueExplained(msgspec.Struct, kw_only=True):
    """The sum behind one due time: start + (target + paused) business minutes.

    `due` is the stored due time. `computed_due` applies the policy and calendar as they
    are now, so the two differ when either changed after the ticket was created.
    """

    target_minutes: int | None
    paused_minutes: int
    business_minutes: int | None
    due: datetime | None
    computed_due: datetime | None
    arithmetic: str


class SlaExplanation(msgspec.Struct, kw_only=True):
    ticket_id: uuid.UUID
    tier: str | None
    priority: str
    policy: PolicyExplained | None
    calendar: CalendarExplained
    started_at: datetime
    pauses: list[PauseExplained]
    first_response: DueExplained
    resolution: DueExplained


def _explain_due(
    started_at: datetime,
    target_minutes: int | None,
    paused_minutes: int,
    stored_due: datetime | None,
    computed_due: datetime | None,
    calendar_name: str,
) -> DueExplained:
    if target_minutes is None:
        return DueExplained(
            target_minutes=None,
            paused_minutes=paused_minutes,
            business_minutes=None,
            due=stored_due,
            computed_due=None,
            arithmetic="the policy sets no target",
        )
    total = target_minutes + paused_minutes
    arithmetic = (
        f"{started_at.isoformat()} + ({target_minutes} target + {paused_minutes} paused) = "
        f"{total} business minutes in calendar {calendar_name} = "
        f"{computed_due.isoformat() if computed_due else 'none'}"
    )
    return DueExplained(
        target_minutes=target_minutes,
        paused_minutes=paused_minutes,
        business_minutes=total,
        due=stored_due,
        computed_due=computed_due,
        arithmetic=arithmetic,
    )


async def _calendar_explained(session: AsyncSession, policy: SlaPolicy | None) -> CalendarExplained:
    row = None
    if policy is not None and policy.calendar_id is not None:
        row = await session.get(SlaCalendar, policy.calendar_id)
    if row is None:
        return CalendarExplained(
            id=None,
            name=ALWAYS_OPEN_NAME,
            time_zone="UTC",
            always_open=True,
            weekly_hours={},
            holiday_dates=[],
            holiday_country=None,
        )
    return CalendarExplained(
        id=row.id,
        name=row.name,
        time_zone=row.time_zone,
        always_open=row.always_open,
        weekly_hours=row.weekly_hours,
        holiday_dates=row.holiday_dates,
        holiday_country=row.holiday_country,
    )


async def explain_targets(session: AsyncSession, target: SlaTarget) -> SlaExplanation:
    """Gather the facts and the arithmetic behind `target`'s due times."""
    policy = await session.get(SlaPolicy, target.policy_id) if target.policy_id else None
    calendar = await load_calendar(session, policy)
    calendar_info = await _calendar_explained(session, policy)
    pauses = await list_pauses(session, target.ticket_id)

    first_response_minutes = policy.first_response_minutes if policy else None
    resolution_minutes = policy.resolution_minutes if policy else None
    computed_first_response = (
        add_business_minutes(target.started_at, first_response_minutes, calendar)
        if first_response_minutes is not None
        else None
    )
    computed_resolution = (
        add_business_minutes(
            target.started_at, resolution_minutes + target.paused_minutes, calendar
        )
        if resolution_minutes is not None
        else None
    )

    return SlaExplanation(
        ticket_id=target.ticket_id,
        tier=target.tier,
        priority=target.priority,
        policy=(
            PolicyExplained(
                id=policy.id,
                name=policy_name(policy),
                first_response_minutes=first_response_minutes,
                resolution_minutes=resolution_minutes,
            )
            if policy is not None
            else None
        ),
        calendar=calendar_info,
        started_at=target.started_at,
        pauses=[
            PauseExplained(
                started_at=pause.started_at,
                ended_at=pause.ended_at,
                business_minutes=pause.business_minutes,
            )
            for pause in pauses
        ],
        first_response=_explain_due(
            target.started_at,
            first_response_minutes,
            0,
            target.first_response_due,
            computed_first_response,
            calendar_info.name,
        ),
        resolution=_explain_due(
            target.started_at,
            resolution_minutes,
            target.paused_minutes,
            target.resolution_due,
            computed_resolution,
            calendar_info.name,
        ),
    )
