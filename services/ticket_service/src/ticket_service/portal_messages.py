"""A customer's reply written in the portal, with the status rules of an emailed reply.

The message becomes a `PORTAL_MESSAGE` interaction. Waiting on Customer, Pending and
Resolved move back to Open, as `lifecycle.status_after_customer_message` decides for
email. A ticket merged into another stands for that ticket. A Closed ticket stays
final: the message goes to its newest follow-up that is not Closed, or opens a new
follow-up ticket linked by `follow_up_of`, as a mail to a Closed ticket does.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import TicketSource, TicketStatus
from helpdesk_contracts.messages import PortalReplyReply, PortalReplyRequest
from helpdesk_runtime.logging import get_logger
from ticket_service import events
from ticket_service.audit import note_status_change
from ticket_service.enrichment import ContactResolver
from ticket_service.interactions import append_interaction
from ticket_service.lifecycle import set_status, status_after_customer_message
from ticket_service.models import Interaction, Ticket
from ticket_service.portal_scope import PortalScope
from ticket_service.portal_submissions import (
    NewPortalTicket,
    message_errors,
    open_portal_ticket,
    portal_author,
    portal_message,
)
from ticket_service.portal_views import visible_ticket
from ticket_service.threading import _follow_merges, _route_past_closed
from ticket_service.tickets import lock_ticket, utc_now

log = get_logger(__name__)


@dataclass(frozen=True)
class PortalReplyContext:
    """Dependencies of a portal reply besides the session and the request."""

    resolver: ContactResolver
    correlation_id: str


async def add_portal_reply(
    session: AsyncSession,
    scope: PortalScope,
    request: PortalReplyRequest,
    context: PortalReplyContext,
) -> PortalReplyReply:
    """Add the viewer's message to the ticket; the caller commits.

    The scope is checked before the message, so a ticket outside it gets the not-found
    answer even for an invalid message.
    """
    requested = await visible_ticket(session, scope, request.number, for_update=True)
    if requested is None:
        return PortalReplyReply(found=False)

    errors = message_errors(request.text_body, request.attachments)
    if errors:
        return PortalReplyReply(found=True, field_errors=tuple(errors))

    ticket = await _follow_merges(session, requested)
    if ticket is not requested:
        ticket = await lock_ticket(session, ticket.id)
    if ticket.status is TicketStatus.CLOSED:
        match = await _route_past_closed(session, ticket, "portal")
        if match.ticket is None:
            closed = match.follow_up_of or ticket
            follow_up, first = await _open_follow_up(session, scope, closed, request, context)
            return await _reply(session, scope, requested, follow_up, first)
        ticket = match.ticket

    interaction = await _append_message(session, scope, ticket, request, context)
    return await _reply(session, scope, requested, ticket, interaction)


async def _append_message(
    session: AsyncSession,
    scope: PortalScope,
    ticket: Ticket,
    request: PortalReplyRequest,
    context: PortalReplyContext,
) -> Interaction:
    now = utc_now()
    author = portal_author(scope)
    interaction = portal_message(ticket.id, author, request.text_body, request.attachments, now)
    await append_interaction(session, ticket, interaction, now)

    from_status = None
    new_status = status_after_customer_message(ticket.status)
    if new_status is not None:
        from_status = set_status(ticket, new_status, now)
    await session.flush()

    await events.interaction_added(session, ticket, interaction, context.correlation_id)
    if from_status is not None:
        await _announce_status(session, ticket, from_status, author.address, now, context)
    log.info(
        "portal reply added",
        ticket_id=str(ticket.id),
        number=ticket.number,
        interaction_id=str(interaction.id),
        contact_id=str(scope.contact_id),
        status=ticket.status.value,
    )
    return interaction


async def _announce_status(
    session: AsyncSession,
    ticket: Ticket,
    from_status: TicketStatus,
    actor: str,
    now: datetime,
    context: PortalReplyContext,
) -> None:
    await events.status_changed(session, ticket, from_status, actor, context.correlation_id)
    await note_status_change(session, ticket, from_status, actor, now, context.correlation_id)


async def _open_follow_up(
    session: AsyncSession,
    scope: PortalScope,
    closed: Ticket,
    request: PortalReplyRequest,
    context: PortalReplyContext,
) -> tuple[Ticket, Interaction]:
    new = NewPortalTicket(
        subject=closed.subject,
        text_body=request.text_body,
        source=TicketSource.PORTAL,
        author=portal_author(scope),
        attachments=request.attachments,
        follow_up_of=closed.id,
    )
    return await open_portal_ticket(session, new, context.resolver, context.correlation_id)


async def _reply(
    session: AsyncSession,
    scope: PortalScope,
    requested: Ticket,
    target: Ticket,
    interaction: Interaction,
) -> PortalReplyReply:
    # A merge may have moved the conversation to a ticket outside the viewer's scope.
    # That ticket's number is not returned, so the reply names the requested ticket.
    number = requested.number
    if target.id != requested.id:
        visible = await session.scalar(
            select(Ticket.id).where(Ticket.id == target.id, scope.condition())
        )
        if visible is not None:
            number = target.number
    return PortalReplyReply(found=True, interaction_id=interaction.id, ticket_number=number)
