"""Agent changes to a ticket's status and priority."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import TicketPriority, TicketStatus
from helpdesk_runtime.logging import get_logger
from ticket_service import events
from ticket_service.lifecycle import check_agent_transition, set_status
from ticket_service.models import Ticket
from ticket_service.preconditions import IfMatch
from ticket_service.tickets import lock_ticket, record_change, utc_now

log = get_logger(__name__)


@dataclass(frozen=True)
class TicketChanges:
    """The fields a PATCH request sets; None leaves a field as it is."""

    ticket_id: uuid.UUID
    status: TicketStatus | None
    priority: TicketPriority | None
    actor: str
    if_match: IfMatch | None
    correlation_id: str


async def update_ticket(session: AsyncSession, changes: TicketChanges) -> Ticket:
    """Apply the changes and announce each; the caller commits.

    Setting a field to its current value changes nothing and emits no event.
    """
    ticket = await lock_ticket(session, changes.ticket_id)
    if changes.if_match is not None:
        changes.if_match.check(ticket.version)

    now = utc_now()
    from_status = None
    if changes.status is not None and changes.status is not ticket.status:
        check_agent_transition(ticket.status, changes.status)
        from_status = set_status(ticket, changes.status, now)

    from_priority = None
    if changes.priority is not None and changes.priority is not ticket.priority:
        from_priority = ticket.priority
        ticket.priority = changes.priority

    if from_status is None and from_priority is None:
        return ticket

    record_change(ticket, now)
    await session.flush()
    if from_status is not None:
        await events.status_changed(
            session, ticket, from_status, changes.actor, changes.correlation_id
        )
    if from_priority is not None:
        await events.priority_changed(
            session, ticket, from_priority, changes.actor, changes.correlation_id
        )

    log.info(
        "ticket updated",
        ticket_id=str(ticket.id),
        status=ticket.status.value,
        priority=ticket.priority.value,
        version=ticket.version,
        actor=changes.actor,
    )
    return ticket
