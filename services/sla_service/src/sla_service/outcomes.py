"""Recording a ticket's first response and resolution against its targets.

A target is met when the response or resolution happens at or before its due time.
The earliest first response counts. A ticket is resolved when it enters Resolved or
Closed, and reopening it (any other status) clears the resolution until it is
resolved again, still measured against the original due time.

Pending and Waiting on Customer pause the resolution clock (see `pauses`), and a closed
pause moves the resolution due time, announced with a new `SlaTargetsSet`. Each change
re-syncs the ticket's breach and warning timers (see `timers`).
"""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import TicketStatus
from helpdesk_contracts.messages import TicketFirstResponded, TicketStatusChanged
from helpdesk_runtime.logging import get_logger
from sla_service.business_calendar import BusinessCalendar, business_minutes_between
from sla_service.calendars import load_calendar
from sla_service.models import SlaPolicy, SlaTarget
from sla_service.pauses import PAUSE_STATUSES, end_pause, start_pause
from sla_service.targets import announce_targets, compute_due_times
from sla_service.timers import TargetKind, cancel_timers, sync_timers
from sla_service.times import as_utc, isoformat_or_none

log = get_logger(__name__)

RESOLUTION_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})


class TargetsNotFoundError(Exception):
    """Raised for a ticket event that arrived before the ticket's TicketCreated was handled.

    The consumer redelivers the event later instead of dropping it.
    """

    def __init__(self, ticket_id: uuid.UUID) -> None:
        super().__init__(f"no SLA targets for ticket {ticket_id} yet; retry after TicketCreated")
        self.ticket_id = ticket_id


def met_target(done_at: datetime, due: datetime | None) -> bool | None:
    """Return whether `done_at` met the due time, or None when there is no target."""
    if due is None:
        return None
    return done_at <= due


def measure_outcomes(target: SlaTarget, calendar: BusinessCalendar) -> None:
    """Store the business minutes to the first response and to the resolution, if any.

    Resolution minutes exclude the closed pauses, as the resolution target does.
    """
    target.first_response_business_minutes = (
        business_minutes_between(target.started_at, target.first_response_at, calendar)
        if target.first_response_at is not None
        else None
    )
    target.resolution_business_minutes = (
        max(
            0,
            business_minutes_between(target.started_at, target.resolved_at, calendar)
            - target.paused_minutes,
        )
        if target.resolved_at is not None
        else None
    )


async def _lock_targets(session: AsyncSession, ticket_id: uuid.UUID) -> SlaTarget:
    # The row lock serializes the first-response and status consumers on one ticket.
    target = await session.get(SlaTarget, ticket_id, with_for_update=True)
    if target is None:
        raise TargetsNotFoundError(ticket_id)
    return target


async def record_first_response(session: AsyncSession, event: TicketFirstResponded) -> None:
    """Record the ticket's first response and whether it met its target. The caller commits.

    The ticket version is neither checked nor stored here, because a first response stays
    a fact whatever status events come later. Storing its version would make a status
    event that is older but not yet applied look stale.
    """
    target = await _lock_targets(session, event.ticket_id)
    responded_at = as_utc(event.responded_at)

    recorded_at = target.first_response_at
    if recorded_at is not None and recorded_at <= responded_at:
        log.info(
            "first response already recorded, ignoring a later one",
            recorded_at=isoformat_or_none(recorded_at),
            responded_at=isoformat_or_none(responded_at),
        )
        return

    target.first_response_at = responded_at
    target.first_response_met = met_target(responded_at, target.first_response_due)
    policy = await session.get(SlaPolicy, target.policy_id) if target.policy_id else None
    measure_outcomes(target, await load_calendar(session, policy))
    await cancel_timers(session, target.ticket_id, TargetKind.FIRST_RESPONSE)
    log.info(
        "first response recorded",
        responded_at=isoformat_or_none(responded_at),
        due=isoformat_or_none(target.first_response_due),
        met=target.first_response_met,
    )


async def record_status_change(
    session: AsyncSession,
    event: TicketStatusChanged,
    warning_fractions: tuple[float, ...] = (),
    correlation_id: str | None = None,
) -> None:
    """Record the resolution, pauses and timers for a status change. The caller commits.

    An event older than the ticket version already applied is ignored.
    """
    target = await _lock_targets(session, event.ticket_id)
    if event.version < target.ticket_version:
        log.info(
            "stale status change ignored",
            version=event.version,
            applied_version=target.ticket_version,
            to_status=event.to_status.value,
        )
        return

    target.ticket_version = event.version
    changed_at = as_utc(event.changed_at)
    policy = await session.get(SlaPolicy, target.policy_id) if target.policy_id else None
    calendar = await load_calendar(session, policy)

    if event.to_status in PAUSE_STATUSES:
        await start_pause(session, target.ticket_id, changed_at)
    else:
        paused_minutes = await end_pause(session, target.ticket_id, changed_at, calendar)
        if paused_minutes:
            target.paused_minutes += paused_minutes
            due = compute_due_times(target.started_at, policy, calendar, target.paused_minutes)
            target.resolution_due = due.resolution_due
            await announce_targets(session, target, policy, correlation_id)

    if event.to_status in RESOLUTION_STATUSES:
        _record_resolution(target, changed_at)
    elif target.resolved_at is not None:
        _clear_resolution(target, event.to_status)
    measure_outcomes(target, calendar)
    await session.flush()
    await sync_timers(session, target, policy, calendar, warning_fractions)


def _record_resolution(target: SlaTarget, resolved_at: datetime) -> None:
    # Resolved followed by Closed keeps the time the ticket was first resolved.
    if target.resolved_at is not None:
        return

    target.resolved_at = resolved_at
    target.resolution_met = met_target(resolved_at, target.resolution_due)
    log.info(
        "resolution recorded",
        resolved_at=isoformat_or_none(resolved_at),
        due=isoformat_or_none(target.resolution_due),
        met=target.resolution_met,
    )


def _clear_resolution(target: SlaTarget, new_status: TicketStatus) -> None:
    log.info(
        "ticket reopened, resolution cleared",
        status=new_status.value,
        previous_resolved_at=isoformat_or_none(target.resolved_at),
    )
    target.resolved_at = None
    target.resolution_met = None
