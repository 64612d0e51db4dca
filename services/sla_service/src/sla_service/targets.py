"""Setting a new ticket's SLA targets: due times from its policy, stored once, announced once."""

from datetime import datetime

import msgspec
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import SlaTargetsSet, TicketCreated
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.outbox import add_event
from sla_service.business_calendar import ALWAYS_OPEN, BusinessCalendar, add_business_minutes
from sla_service.calendars import load_calendar
from sla_service.models import SlaPolicy, SlaTarget, outbox
from sla_service.policies import PolicyMatch, find_policy, policy_name
from sla_service.timers import sync_timers
from sla_service.times import as_utc, isoformat_or_none

log = get_logger(__name__)


class DueTimes(msgspec.Struct, frozen=True):
    """Due times of the first response and the resolution, None meaning no target."""

    first_response_due: datetime | None
    resolution_due: datetime | None


def _due_after(
    started_at: datetime, minutes: int | None, calendar: BusinessCalendar
) -> datetime | None:
    if minutes is None:
        return None
    return add_business_minutes(started_at, minutes, calendar)


def compute_due_times(
    started_at: datetime,
    policy: SlaPolicy | None,
    calendar: BusinessCalendar = ALWAYS_OPEN,
    paused_minutes: int = 0,
) -> DueTimes:
    """Compute the due times of a ticket whose clock started at `started_at`.

    Targets count business minutes of `calendar`. The resolution target also gets the
    `paused_minutes` (business minutes) the ticket spent in closed pauses.
    """
    if policy is None:
        return DueTimes(first_response_due=None, resolution_due=None)

    resolution_minutes = policy.resolution_minutes
    if resolution_minutes is not None:
        resolution_minutes += paused_minutes
    return DueTimes(
        first_response_due=_due_after(started_at, policy.first_response_minutes, calendar),
        resolution_due=_due_after(started_at, resolution_minutes, calendar),
    )


async def set_targets(
    session: AsyncSession,
    event: TicketCreated,
    correlation_id: str | None,
    warning_fractions: tuple[float, ...] = (),
) -> SlaTarget | None:
    """Store the targets of a new ticket and add `SlaTargetsSet` to the outbox.

    Returns the stored row, or None when the ticket already had targets, in which case
    nothing is written and no event is added. The caller commits.
    """
    started_at = as_utc(event.created_at)
    match = PolicyMatch(
        tier=event.customer_tier,
        team=event.assigned_team,
        category=event.category,
        source=event.source.value,
    )
    policy = await find_policy(session, match, event.priority)
    calendar = await load_calendar(session, policy)
    due = compute_due_times(started_at, policy, calendar)

    inserted = await session.execute(
        insert(SlaTarget)
        .values(
            ticket_id=event.ticket_id,
            policy_id=policy.id if policy is not None else None,
            tier=event.customer_tier,
            priority=event.priority.value,
            started_at=started_at,
            first_response_due=due.first_response_due,
            resolution_due=due.resolution_due,
            ticket_version=event.version,
            team=event.assigned_team,
            category=event.category,
            source=event.source.value,
        )
        .on_conflict_do_nothing(index_elements=[SlaTarget.ticket_id])
        .returning(SlaTarget)
    )
    target = inserted.scalar_one_or_none()
    if target is None:
        log.info("sla targets already set, ignoring ticket created again")
        return None

    await announce_targets(session, target, policy, correlation_id)
    await sync_timers(session, target, policy, calendar, warning_fractions)
    return target


async def announce_targets(
    session: AsyncSession,
    target: SlaTarget,
    policy: SlaPolicy | None,
    correlation_id: str | None,
) -> None:
    """Add `SlaTargetsSet` with the target's current due times to the outbox."""
    targets_set = SlaTargetsSet(
        ticket_id=target.ticket_id,
        ticket_version=target.ticket_version,
        policy_name=policy_name(policy),
        first_response_due=target.first_response_due,
        resolution_due=target.resolution_due,
    )
    await add_event(session, outbox, subjects.SLA_TARGETS_SET, targets_set, correlation_id)
    log.info(
        "sla targets set",
        ticket_id=str(target.ticket_id),
        policy=targets_set.policy_name,
        first_response_due=isoformat_or_none(target.first_response_due),
        resolution_due=isoformat_or_none(target.resolution_due),
    )
