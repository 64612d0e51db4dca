"""Ticket events, written to the outbox in the transaction of the change they describe."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import TicketPriority, TicketStatus
from helpdesk_contracts.messages import (
    AgentMentioned,
    InteractionAdded,
    OutboundEmailRequested,
    TicketCreated,
    TicketEnriched,
    TicketFieldsChanged,
    TicketFirstResponded,
    TicketMerged,
    TicketPriorityChanged,
    TicketStatusChanged,
)
from helpdesk_runtime.outbox import add_event
from ticket_service.models import Interaction, Ticket, outbox


async def ticket_created(session: AsyncSession, ticket: Ticket, correlation_id: str) -> None:
    """Announce a new ticket with the seed fields that sla_service keys its policy on."""
    event = TicketCreated(
        ticket_id=ticket.id,
        number=ticket.number,
        version=ticket.version,
        subject=ticket.subject,
        status=ticket.status,
        priority=ticket.priority,
        source=ticket.source,
        created_at=ticket.created_at,
        customer_id=ticket.customer_id,
        customer_tier=ticket.customer_tier,
        primary_contact_id=ticket.primary_contact_id,
        assigned_team=ticket.assigned_team,
        category=ticket.category,
    )
    await add_event(session, outbox, subjects.TICKET_CREATED, event, correlation_id)


async def interaction_added(
    session: AsyncSession, ticket: Ticket, interaction: Interaction, correlation_id: str
) -> None:
    """Announce an interaction appended to a ticket."""
    event = InteractionAdded(
        ticket_id=ticket.id,
        interaction_id=interaction.id,
        version=ticket.version,
        type=interaction.type,
        customer_visible=interaction.customer_visible,
        created_at=interaction.created_at,
        author=interaction.author,
        text_body=interaction.text_body,
    )
    await add_event(session, outbox, subjects.TICKET_INTERACTION_ADDED, event, correlation_id)


async def status_changed(
    session: AsyncSession,
    ticket: Ticket,
    from_status: TicketStatus,
    actor: str,
    correlation_id: str,
) -> None:
    """Announce that the ticket moved from `from_status` to its current status."""
    event = TicketStatusChanged(
        ticket_id=ticket.id,
        version=ticket.version,
        from_status=from_status,
        to_status=ticket.status,
        changed_at=ticket.updated_at,
        actor=actor,
    )
    await add_event(session, outbox, subjects.TICKET_STATUS_CHANGED, event, correlation_id)


async def priority_changed(
    session: AsyncSession,
    ticket: Ticket,
    from_priority: TicketPriority,
    actor: str,
    correlation_id: str,
) -> None:
    """Announce that an agent changed the ticket's priority."""
    event = TicketPriorityChanged(
        ticket_id=ticket.id,
        version=ticket.version,
        from_priority=from_priority,
        to_priority=ticket.priority,
        changed_at=ticket.updated_at,
        actor=actor,
    )
    await add_event(session, outbox, subjects.TICKET_PRIORITY_CHANGED, event, correlation_id)


async def first_responded(
    session: AsyncSession, ticket: Ticket, responded_at: datetime, correlation_id: str
) -> None:
    """Announce the ticket's first agent reply by email."""
    event = TicketFirstResponded(
        ticket_id=ticket.id, version=ticket.version, responded_at=responded_at
    )
    await add_event(session, outbox, subjects.TICKET_FIRST_RESPONDED, event, correlation_id)


async def ticket_enriched(session: AsyncSession, ticket: Ticket, correlation_id: str) -> None:
    """Announce the contact and customer that a late enrichment filled in."""
    event = TicketEnriched(
        ticket_id=ticket.id,
        version=ticket.version,
        contact_ids=tuple(ticket.contact_ids),
        primary_contact_id=ticket.primary_contact_id,
        customer_id=ticket.customer_id,
        customer_name=ticket.customer_name,
        customer_tier=ticket.customer_tier,
    )
    await add_event(session, outbox, subjects.TICKET_ENRICHED, event, correlation_id)


async def outbound_email_requested(
    session: AsyncSession, request: OutboundEmailRequested, correlation_id: str
) -> None:
    """Ask email_gateway to send an agent reply."""
    await add_event(session, outbox, subjects.MAIL_OUTBOUND_REQUESTED, request, correlation_id)


async def fields_changed(
    session: AsyncSession, ticket: Ticket, fields: Sequence[str], actor: str, correlation_id: str
) -> None:
    """Announce changed assignment or classification fields with their current values."""
    event = TicketFieldsChanged(
        ticket_id=ticket.id,
        version=ticket.version,
        fields=tuple(fields),
        assigned_to=tuple(ticket.assigned_to),
        assigned_team=ticket.assigned_team,
        tags=tuple(ticket.tags),
        category=ticket.category,
        changed_at=ticket.updated_at,
        actor=actor,
    )
    await add_event(session, outbox, subjects.TICKET_FIELDS_CHANGED, event, correlation_id)


async def ticket_merged(
    session: AsyncSession, source: Ticket, target: Ticket, actor: str, correlation_id: str
) -> None:
    """Announce that `source` was merged into `target`."""
    event = TicketMerged(
        ticket_id=source.id,
        into_ticket_id=target.id,
        version=source.version,
        into_version=target.version,
        merged_at=source.updated_at,
        actor=actor,
    )
    await add_event(session, outbox, subjects.TICKET_MERGED, event, correlation_id)


async def agent_mentioned(
    session: AsyncSession,
    ticket: Ticket,
    interaction: Interaction,
    agent: str,
    correlation_id: str,
) -> None:
    """Announce that an internal note mentioned `agent`."""
    event = AgentMentioned(
        ticket_id=ticket.id,
        interaction_id=interaction.id,
        agent=agent,
        author=interaction.author,
    )
    await add_event(session, outbox, subjects.TICKET_AGENT_MENTIONED, event, correlation_id)
