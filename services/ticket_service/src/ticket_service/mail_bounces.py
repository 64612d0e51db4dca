"""Bounced replies on the ticket: the durable consumer of `mail.outbound.bounced`.

email_gateway publishes `OutboundEmailBounced` when a delivery status notification
reports that an agent reply could not be delivered. The ticket gets a SYSTEM interaction,
which customers never see, naming the recipient and the reason, so the agent sees that
the customer did not get the reply. `processed_messages` makes the handler idempotent, so a
redelivered event adds no second interaction.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts import streams, subjects
from helpdesk_contracts.enums import InteractionType
from helpdesk_contracts.messages import OutboundEmailBounced
from helpdesk_runtime.consumers import Delivery, subscribe_durable
from helpdesk_runtime.database import unit_of_work
from helpdesk_runtime.idempotency import claim_message
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.service import ServiceRuntime
from ticket_service import events
from ticket_service.audit import SYSTEM_AUTHOR
from ticket_service.errors import TicketNotFoundError
from ticket_service.interactions import append_interaction, new_interaction
from ticket_service.models import Interaction, processed_messages
from ticket_service.tickets import lock_ticket, utc_now

log = get_logger(__name__)

BOUNCE_CONSUMER = "ticket_service-mail-bounces"


def bounce_text(event: OutboundEmailBounced) -> str:
    """Describe the bounce for the agent: who did not get the reply, and the remote reason."""
    recipient = event.recipient or "a recipient"
    text = f"The reply {event.message_id} could not be delivered to {recipient}."
    details = [part for part in (event.status, event.diagnostic) if part]
    if details:
        text += f" The receiving mail server reported: {' '.join(details)}"
    return text


async def record_bounce(
    session: AsyncSession, event: OutboundEmailBounced, correlation_id: str
) -> Interaction | None:
    """Append the SYSTEM interaction of a bounce; None when it was handled before or lost."""
    if not await claim_message(session, processed_messages, BOUNCE_CONSUMER, event.id):
        log.info("bounce already recorded")
        return None

    try:
        ticket = await lock_ticket(session, event.ticket_id)
    except TicketNotFoundError:
        # Retrying cannot make the ticket appear, so the bounce is only logged.
        log.warning("bounce for an unknown ticket dropped", recipient=event.recipient)
        return None

    now = utc_now()
    interaction = new_interaction(
        ticket.id,
        InteractionType.SYSTEM,
        author=SYSTEM_AUTHOR,
        text_body=bounce_text(event),
        now=now,
    )
    await append_interaction(session, ticket, interaction, now)
    await events.interaction_added(session, ticket, interaction, correlation_id)
    return interaction


def register_mail_bounces(runtime: ServiceRuntime) -> None:
    """Subscribe the bounce handler to `mail.outbound.bounced` with a durable consumer."""

    async def handle_bounce(event: OutboundEmailBounced, delivery: Delivery) -> None:
        with bound_context(
            ticket_id=event.ticket_id,
            interaction_id=event.interaction_id,
            message_id=event.message_id,
            event_id=event.id,
        ):
            async with unit_of_work(runtime.sessions) as session:
                interaction = await record_bounce(session, event, delivery.correlation_id)
            if interaction is not None:
                log.info(
                    "bounce recorded on ticket",
                    recipient=event.recipient,
                    status=event.status,
                    system_interaction_id=interaction.id,
                )

    subscribe_durable(
        runtime.broker,
        lambda: runtime.js,
        subject=subjects.MAIL_OUTBOUND_BOUNCED,
        stream=streams.MAIL.name,
        durable=BOUNCE_CONSUMER,
        message_type=OutboundEmailBounced,
        handler=handle_bounce,
    )
