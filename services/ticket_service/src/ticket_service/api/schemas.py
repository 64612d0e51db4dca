"""Request and response bodies of the agent API."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from helpdesk_contracts.enums import (
    InteractionType,
    TicketPriority,
    TicketSource,
    TicketStatus,
)
from helpdesk_contracts.messages import AttachmentInfo, EmailAddress
from ticket_service.models import Interaction, Ticket

# At least one character that is not white space.
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200_000, pattern=r"\S")]
Author = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=400,
        pattern=r"\S",
        description="The agent's name or email address, recorded on interactions and events.",
    ),
]
NoteType = Literal["NOTE", "INTERNAL_NOTE", "PHONE_CALL", "MEETING", "SMS"]


class ReplyCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An agent's email reply to the ticket's customer."""

    text: Text
    author: Author


class NoteCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A note, call, meeting or SMS recorded on a ticket; no email is sent."""

    text: Text
    author: Author
    type: NoteType = "NOTE"


class TicketUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The fields to change; a missing or null field keeps its value."""

    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    actor: Author = "agent"


class InteractionOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    ticket_id: uuid.UUID
    type: InteractionType
    author: str
    customer_visible: bool
    text_body: str
    html_body: str | None
    created_at: datetime
    message_id: str | None
    email_from: EmailAddress | None
    email_to: list[EmailAddress]
    email_cc: list[EmailAddress]
    attachments: list[AttachmentInfo]


class TicketOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    number: int
    subject: str
    status: TicketStatus
    priority: TicketPriority
    source: TicketSource
    source_email: str | None
    email_thread_id: str | None
    follow_up_of: uuid.UUID | None
    customer_id: uuid.UUID | None
    customer_name: str | None
    customer_tier: str | None
    contact_ids: list[uuid.UUID]
    primary_contact_id: uuid.UUID | None
    enrichment_pending: bool
    assigned_to: list[str]
    assigned_team: str | None
    tags: list[str]
    category: str | None
    due_date: datetime | None
    first_response_due: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    sla_breach_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class CustomerOut(msgspec.Struct, kw_only=True):
    """The ticket's customer and contacts; `id` is null while the sender has no customer."""

    id: uuid.UUID | None
    name: str | None
    tier: str | None
    primary_contact_id: uuid.UUID | None
    contact_ids: list[uuid.UUID]


class TicketDetail(TicketOut, kw_only=True):
    customer: CustomerOut
    interactions: list[InteractionOut]


class TicketPage(msgspec.Struct, kw_only=True):
    """One page of tickets; pass `next_cursor` as `cursor` for the next, null on the last."""

    items: list[TicketOut]
    next_cursor: str | None


def _ticket_fields(ticket: Ticket) -> dict[str, Any]:
    return {name: getattr(ticket, name) for name in TicketOut.__struct_fields__}


def ticket_out(ticket: Ticket) -> TicketOut:
    """Return the ticket's fields as a response body."""
    return TicketOut(**_ticket_fields(ticket))


def ticket_detail(ticket: Ticket, interactions: list[Interaction]) -> TicketDetail:
    """Return the ticket with its customer and its interactions, oldest first."""
    customer = CustomerOut(
        id=ticket.customer_id,
        name=ticket.customer_name,
        tier=ticket.customer_tier,
        primary_contact_id=ticket.primary_contact_id,
        contact_ids=list(ticket.contact_ids),
    )
    return TicketDetail(
        **_ticket_fields(ticket),
        customer=customer,
        interactions=[interaction_out(interaction) for interaction in interactions],
    )


def interaction_out(interaction: Interaction) -> InteractionOut:
    """Return an interaction as a response body."""
    return InteractionOut(
        id=interaction.id,
        ticket_id=interaction.ticket_id,
        type=interaction.type,
        author=interaction.author,
        customer_visible=interaction.customer_visible,
        text_body=interaction.text_body,
        html_body=interaction.html_body,
        created_at=interaction.created_at,
        message_id=interaction.message_id,
        email_from=msgspec.convert(interaction.email_from, EmailAddress | None),
        email_to=msgspec.convert(interaction.email_to or [], list[EmailAddress]),
        email_cc=msgspec.convert(interaction.email_cc or [], list[EmailAddress]),
        attachments=msgspec.convert(interaction.attachments or [], list[AttachmentInfo]),
    )
