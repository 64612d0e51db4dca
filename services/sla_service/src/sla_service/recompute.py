"""Recomputing a ticket's targets when what chose its policy changes.

A new priority or a customer tier learned later (the ticket was created while
customer_service did not respond) picks the policy again, and the due times are computed
again from the ticket's original start. Outcomes already recorded are measured against
the new due times.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_contracts.enums import TicketPriority
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.logging import get_logger
from sla_service.calendars import load_calendar
from sla_service.models import SlaTarget
from sla_service.outcomes import TargetsNotFoundError, measure_outcomes, met_target
from sla_service.policies import PolicyMatch, find_policy
from sla_service.targets import announce_targets, compute_due_times
from sla_service.timers import sync_timers

log = get_logger(__name__)


class PolicyInputs:
    """The ticket facts a policy is chosen by; None for a fact that did not change."""

    def __init__(self, tier: str | None = None, priority: TicketPriority | None = None) -> None:
        self.tier = tier
        self.priority = priority


async def recompute_targets(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    changed: PolicyInputs,
    ticket_version: int,
    correlation_id: str | None,
    warning_fractions: tuple[float, ...] = (),
) -> SlaTarget | None:
    """Apply the changed tier or priority and publish the new targets; the caller commits.

    Returns None, changing nothing, when the event is older than what is stored.
    """
    target = await session.get(SlaTarget, ticket_id, with_for_update=True)
    if target is None:
        raise TargetsNotFoundError(ticket_id)
    if ticket_version < target.ticket_version:
        log.info("stale ticket version, targets kept", stored_version=target.ticket_version)
        return None

    if changed.tier is not None:
        target.tier = changed.tier
    if changed.priority is not None:
        target.priority = changed.priority.value
    match = PolicyMatch(
        tier=target.tier, team=target.team, category=target.category, source=target.source
    )
    policy = await find_policy(session, match, TicketPriority(target.priority))
    calendar = await load_calendar(session, policy)
    due = compute_due_times(target.started_at, policy, calendar, target.paused_minutes)

    target.policy_id = policy.id if policy is not None else None
    target.first_response_due = due.first_response_due
    target.resolution_due = due.resolution_due
    target.ticket_version = ticket_version
    if target.first_response_at is not None:
        target.first_response_met = met_target(target.first_response_at, due.first_response_due)
    if target.resolved_at is not None:
        target.resolution_met = met_target(target.resolved_at, due.resolution_due)

    measure_outcomes(target, calendar)
    await announce_targets(session, target, policy, correlation_id)
    await sync_timers(session, target, policy, calendar, warning_fractions)
    return target


async def reapply_policies(
    sessions: async_sessionmaker[AsyncSession],
    warning_fractions: tuple[float, ...] = (),
    batch_size: int = 200,
    tier: str | None = None,
    priority: TicketPriority | None = None,
) -> int:
    """Pick the policy again for every unresolved ticket; return how many were recomputed.

    Policy changes apply to new tickets only, unless an agent requests it. Each batch
    commits on its own, so a long run holds no lock for long, and a ticket changed
    meanwhile is recomputed from its stored facts under its row lock. `tier` and
    `priority` narrow the run to the tickets a changed policy can affect.

    NOTE: the run happens within the request; tens of thousands of open tickets take
    minutes, and a run cut short leaves the remaining tickets on their old targets.
    """
    recomputed = 0
    after: uuid.UUID | None = None
    while True:
        async with unit_of_work(sessions) as session:
            query = select(SlaTarget.ticket_id, SlaTarget.ticket_version).where(
                SlaTarget.resolved_at.is_(None)
            )
            if tier is not None:
                query = query.where(SlaTarget.tier == tier)
            if priority is not None:
                query = query.where(SlaTarget.priority == priority.value)
            if after is not None:
                query = query.where(SlaTarget.ticket_id > after)
            rows = (
                await session.execute(query.order_by(SlaTarget.ticket_id).limit(batch_size))
            ).all()

            for ticket_id, version in rows:
                await recompute_targets(
                    session, ticket_id, PolicyInputs(), version, None, warning_fractions
                )
        recomputed += len(rows)
        if len(rows) < batch_size:
            log.info("policies reapplied to open tickets", tickets=recomputed)
            return recomputed
        after = rows[-1][0]
