"""Setting a new ticket's SLA targets: due times from its policy, stored once, announced once."""

from datetime import datetime, timedelta

import msgspec
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import SlaTargetsSet, TicketCreated
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.outbox import add_event
from sla_service.models import SlaPolicy, SlaTarget, outbox
from sla_service.policies import find_policy, policy_name
from sla_service.times import as_utc, isoformat_or_none

log = get_logger(__name__)


class DueTimes(msgspec.Struct, frozen=True):
    """Due times of the first response and the resolution, None meaning no target."""

    first_response_due: datetime | None
    resolution_due: datetime | None


def _due_after(started_at: datetime, minutes: int | None) -> datetime | None:
    if minutes is None:
        return None
    return started_at + timedelta(minutes=minutes)


def compute_due_times(started_at: datetime, policy: SlaPolicy | None) -> DueTimes:
    """Compute the due times of a ticket whose clock started at `started_at`."""
    if policy is None:
        return DueTimes(first_response_due=None, resolution_due=None)

    # TODO: targets count in calendar time. Business calendars (working hours, holidays,
    # time zones) are not applied yet, so a 4 h target set on Friday evening falls due
    # that night.
    return DueTimes(
        first_response_due=_due_after(started_at, policy.first_response_minutes),
        resolution_due=_due_after(started_at, policy.resolution_minutes),
    )


async def set_targets(
    session: AsyncSession, event: TicketCreated, correlation_id: str | None
) -> SlaTarget | None:
    """Store the targets of a new ticket and add `SlaTargetsSet` to the outbox.

    Returns the stored row, or None when the ticket already had targets, in which case
    nothing is written and no event is added. The caller commits.
    """
    started_at = as_utc(event.created_at)
    policy = await find_policy(session, event.customer_tier, event.priority)
    due = compute_due_times(started_at, policy)

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
        )
        .on_conflict_do_nothing(index_elements=[SlaTarget.ticket_id])
        .returning(SlaTarget)
    )
    target = inserted.scalar_one_or_none()
    if target is None:
        log.info("sla targets already set, ignoring ticket created again")
        return None

    targets_set = SlaTargetsSet(
        ticket_id=event.ticket_id,
        ticket_version=event.version,
        policy_name=policy_name(policy),
        first_response_due=due.first_response_due,
        resolution_due=due.resolution_due,
    )
    await add_event(session, outbox, subjects.SLA_TARGETS_SET, targets_set, correlation_id)

    log.info(
        "sla targets set",
        policy=targets_set.policy_name,
        first_response_due=isoformat_or_none(due.first_response_due),
        resolution_due=isoformat_or_none(due.resolution_due),
    )
    return target
