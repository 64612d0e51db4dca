"""SLA breaches from sla_service, stamped on the ticket as the time of its earliest breach.

`sla_breach_at` keeps the earliest `breached_at` of any target, so a later breach of the
other target, or a redelivered one, leaves the ticket unchanged and its version as it is.

A breach for a ticket this service does not have is logged and dropped instead of
retried: the ticket row is committed before its TicketCreated is published, and
sla_service arms timers only after that event, so no breach can precede its ticket.
"""

from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts import streams, subjects
from helpdesk_contracts.messages import SlaBreached
from helpdesk_runtime.consumers import Delivery, subscribe_durable
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.idempotency import claim_message
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.service import ServiceRuntime
from ticket_service.audit import record_changed_fields, snapshot
from ticket_service.errors import TicketNotFoundError
from ticket_service.models import processed_messages
from ticket_service.tickets import lock_ticket, record_change, utc_now

log = get_logger(__name__)

SLA_BREACH_CONSUMER = "ticket_service-sla-breaches"

# The actor of breach stamps in the audit history.
SLA_ACTOR = "sla_service"


async def apply_sla_breach(session: AsyncSession, event: SlaBreached) -> bool:
    """Stamp the breach time unless an earlier one is stored; return whether it changed."""
    try:
        ticket = await lock_ticket(session, event.ticket_id)
    except TicketNotFoundError:
        log.warning(
            "sla breach for unknown ticket dropped",
            ticket_id=str(event.ticket_id),
            target=event.target,
        )
        return False

    stamped = ticket.sla_breach_at
    if stamped is not None and stamped <= event.breached_at:
        log.info(
            "earlier sla breach already stamped",
            ticket_id=str(event.ticket_id),
            sla_breach_at=stamped.isoformat(),
            target=event.target,
        )
        return False

    before = snapshot(ticket, ("sla_breach_at",))
    now = utc_now()
    ticket.sla_breach_at = event.breached_at
    record_changed_fields(session, ticket, before, SLA_ACTOR, now)
    record_change(ticket, now)

    log.info(
        "sla breach stamped",
        ticket_id=str(event.ticket_id),
        target=event.target,
        breached_at=event.breached_at.isoformat(),
        version=ticket.version,
    )
    return True


def register_sla_breaches(runtime: ServiceRuntime) -> None:
    """Subscribe a durable consumer of `SlaBreached` on `runtime.broker`."""

    async def handle_breach(event: SlaBreached, _delivery: Delivery) -> None:
        with bound_context(ticket_id=event.ticket_id, event_id=event.id):
            async with unit_of_work(runtime.sessions) as session:
                claimed = await claim_message(
                    session, processed_messages, SLA_BREACH_CONSUMER, event.id
                )
                if not claimed:
                    log.info("sla breach event already handled")
                    return
                await apply_sla_breach(session, event)

    def jetstream() -> JetStreamContext:
        return runtime.js

    subscribe_durable(
        runtime.broker,
        jetstream,
        subject=subjects.SLA_BREACHED,
        stream=streams.SLA_EVENTS.name,
        durable=SLA_BREACH_CONSUMER,
        message_type=SlaBreached,
        handler=handle_breach,
    )
