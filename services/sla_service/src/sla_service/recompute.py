"""Recomputing a ticket's targets when what chose its policy changes.

A new priority or a customer tier learned later (the ticket was created while
customer_service did not answer) picks the policy again, and the due times are computed
again from the ticket's original start. Outcomes already recorded are measured against
the new due times.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import TicketPriority
from helpdesk_contracts.messages import SlaTargetsSet
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.outbox import add_event
from sla_service.models import SlaTarget, outbox
from sla_service.outcomes import TargetsNotFoundError, met_target
from sla_service.policies import find_policy, policy_name
from sla_service.targets import compute_due_times
from sla_service.times import isoformat_or_none

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
    policy = await find_policy(session, target.tier, TicketPriority(target.priority))
    due = compute_due_times(target.started_at, policy)

    target.policy_id = policy.id if policy is not None else None
    target.first_response_due = due.first_response_due
    target.resolution_due = due.resolution_due
    target.ticket_version = ticket_version
    if target.first_response_at is not None:
        target.first_response_met = met_target(target.first_response_at, due.first_response_due)
    if target.resolved_at is not None:
        target.resolution_met = met_target(target.resolved_at, due.resolution_due)

    targets_set = SlaTargetsSet(
        ticket_id=ticket_id,
        ticket_version=ticket_version,
        policy_name=policy_name(policy),
        first_response_due=due.first_response_due,
        resolution_due=due.resolution_due,
    )
    await add_event(session, outbox, subjects.SLA_TARGETS_SET, targets_set, correlation_id)
    log.info(
        "sla targets recomputed",
        policy=targets_set.policy_name,
        first_response_due=isoformat_or_none(due.first_response_due),
        resolution_due=isoformat_or_none(due.resolution_due),
    )
    return target
