"""SLA due times from sla_service, copied onto the ticket for agents to read.

Targets computed for an older ticket version than the ones already applied are stale
(sla_service recomputed them meanwhile) and are ignored.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.messages import SlaTargetsSet
from helpdesk_runtime.logging import get_logger
from ticket_service.audit import record_changed_fields, snapshot
from ticket_service.tickets import lock_ticket, record_change, utc_now

log = get_logger(__name__)

# The actor of due-date changes in the audit history.
SLA_ACTOR = "sla_service"


async def apply_sla_targets(session: AsyncSession, event: SlaTargetsSet) -> bool:
    """Set the ticket's due times from `event`; return False when the event is stale.

    Raises `TicketNotFoundError` for an unknown ticket; the consumer dead-letters the event.
    """
    ticket = await lock_ticket(session, event.ticket_id)

    applied = ticket.sla_ticket_version
    if applied is not None and event.ticket_version < applied:
        log.info(
            "stale sla targets ignored",
            event_ticket_version=event.ticket_version,
            applied_ticket_version=applied,
        )
        return False

    before = snapshot(ticket, ("due_date", "first_response_due"))
    now = utc_now()
    ticket.due_date = event.resolution_due
    ticket.first_response_due = event.first_response_due
    ticket.sla_ticket_version = event.ticket_version
    record_changed_fields(session, ticket, before, SLA_ACTOR, now)
    record_change(ticket, now)

    log.info(
        "sla targets applied",
        policy=event.policy_name,
        due_date=event.resolution_due.isoformat() if event.resolution_due else None,
        first_response_due=(
            event.first_response_due.isoformat() if event.first_response_due else None
        ),
        version=ticket.version,
    )
    return True
