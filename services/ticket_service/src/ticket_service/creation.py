"""Tickets that agents create by hand (`manual`) or that a web form submits (`web`).

The requester's address is resolved through customer_service as for inbound mail, then
routing rules apply, then the fields given in the request override what rules set. The
text becomes the first interaction, a NOTE, which the contracts' visibility table keeps
from the customer, and replies go to the requester's address by email.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType, TicketPriority, TicketSource, TicketStatus
from helpdesk_runtime.logging import get_logger
from ticket_service import events
from ticket_service.audit import record_changed_fields, record_differences, snapshot
from ticket_service.classification import check_category, normalize_tags
from ticket_service.enrichment import ContactResolver, enrich_new_ticket
from ticket_service.interactions import new_interaction
from ticket_service.models import Ticket, ticket_number_seq
from ticket_service.routing import ROUTED_FIELDS, ROUTING_ACTOR, route_new_ticket
from ticket_service.teams import check_team
from ticket_service.tickets import utc_now

log = get_logger(__name__)


@dataclass(frozen=True)
class NewTicket:
    """A ticket to create; None or empty fields are left to the routing rules."""

    subject: str
    text: str
    requester_email: str
    requester_name: str
    source: TicketSource
    author: str
    priority: TicketPriority | None = None
    assigned_team: str | None = None
    tags: Sequence[str] = ()
    category: str | None = None


async def create_ticket(
    session: AsyncSession, request: NewTicket, resolver: ContactResolver, correlation_id: str
) -> Ticket:
    """Create, route and announce the ticket; the caller commits."""
    await check_category(session, request.category)
    await check_team(session, request.assigned_team, "$.assigned_team")

    now = utc_now()
    number = await session.scalar(ticket_number_seq.next_value())
    ticket = Ticket(
        id=uuid.uuid4(),
        number=number,
        subject=request.subject,
        status=TicketStatus.OPEN,
        priority=TicketPriority.MEDIUM,
        source=request.source,
        source_email=request.requester_email,
        contact_ids=[],
        enrichment_pending=False,
        assigned_to=[],
        assigned_team=None,
        tags=[],
        category=None,
        created_at=now,
        updated_at=now,
        version=1,
    )
    await enrich_new_ticket(ticket, resolver, request.requester_name, correlation_id)

    initial = snapshot(ticket, ROUTED_FIELDS)
    await route_new_ticket(session, ticket, ())
    routed = snapshot(ticket, ROUTED_FIELDS)
    _apply_requested_fields(ticket, request)

    session.add(ticket)
    await session.flush()
    # Audited in two steps, so the history records what the rules set and what the author set.
    record_differences(session, ticket.id, initial, routed, ROUTING_ACTOR, now)
    record_changed_fields(session, ticket, routed, request.author, now)

    interaction = new_interaction(
        ticket.id, InteractionType.NOTE, author=request.author, text_body=request.text, now=now
    )
    session.add(interaction)
    await session.flush()

    await events.ticket_created(session, ticket, correlation_id)
    await events.interaction_added(session, ticket, interaction, correlation_id)
    log.info(
        "ticket created through the API",
        ticket_id=str(ticket.id),
        number=ticket.number,
        source=ticket.source.value,
        enrichment_pending=ticket.enrichment_pending,
    )
    return ticket


def _apply_requested_fields(ticket: Ticket, request: NewTicket) -> None:
    if request.priority is not None:
        ticket.priority = request.priority
    if request.assigned_team is not None:
        ticket.assigned_team = request.assigned_team
    if request.category is not None:
        ticket.category = request.category
    ticket.tags = normalize_tags([*ticket.tags, *request.tags])
