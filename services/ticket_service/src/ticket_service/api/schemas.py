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
from helpdesk_contracts.messages import AccountContextReply, AttachmentInfo, EmailAddress
from ticket_service.models import AuditEntry, Interaction, Ticket

# At least one character that is not white space.
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200_000, pattern=r"\S")]
# The author or actor is the agent whose API key made the request. The body field is
# still accepted so that older clients keep working, but its value is ignored: a caller
# cannot write as someone else.
Author = Annotated[
    str,
    msgspec.Meta(
        max_length=400,
        description="Ignored: the authenticated agent's handle is recorded instead.",
    ),
]
NoteType = Literal["NOTE", "INTERNAL_NOTE", "PHONE_CALL", "MEETING", "SMS"]
Agent = Annotated[str, msgspec.Meta(min_length=1, max_length=400, pattern=r"\S")]
Team = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
CategoryName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]


class ReplyCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An agent's email reply to the ticket's customer."""

    text: Text
    author: Author | None = None


class NoteCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A note, call, meeting or SMS recorded on a ticket; no email is sent."""

    text: Text
    author: Author | None = None
    type: NoteType = "NOTE"


class TicketUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The fields to change; a missing field keeps its value.

    Null keeps `status`, `priority`, `assigned_to` and `tags` too, but clears
    `assigned_team` and `category`. `assigned_to` and `tags` replace the whole list.
    """

    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    assigned_to: list[Agent] | None = None
    assigned_team: Team | msgspec.UnsetType | None = msgspec.UNSET
    tags: list[Tag] | None = None
    category: CategoryName | msgspec.UnsetType | None = msgspec.UNSET
    actor: Author | None = None


class AssigneeAdd(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An agent to add to the ticket's assignees; the others stay assigned."""

    agent: Agent
    actor: Author | None = None


class TagsReplace(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The ticket's new tags, stored trimmed, lower-cased and without repeats."""

    tags: list[Tag]
    actor: Author | None = None


class BulkTicket(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A ticket of a bulk change; `version`, when given, acts as its If-Match."""

    id: uuid.UUID
    version: int | None = None


class BulkChange(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The change to apply to every ticket; at least one field must be set."""

    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    assigned_team: Team | None = None
    add_assignee: Agent | None = None
    add_tags: list[Tag] = msgspec.field(default_factory=list)


class BulkUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One change applied to up to 200 tickets, each in its own transaction."""

    tickets: Annotated[list[BulkTicket], msgspec.Meta(min_length=1, max_length=200)]
    changes: BulkChange
    actor: Author | None = None


class BulkResult(msgspec.Struct, kw_only=True):
    """The outcome for one ticket: `status` is the HTTP status its own request would get.

    `outcome` is "updated", "unchanged" or "failed"; `error` explains a failure.
    """

    id: uuid.UUID
    outcome: Literal["updated", "unchanged", "failed"]
    status: int
    version: int | None
    error: str | None


class BulkResponse(msgspec.Struct, kw_only=True):
    results: list[BulkResult]


class MergeCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The ticket to merge this one into."""

    into: uuid.UUID
    actor: Author | None = None


class CategoryCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A category to add to the managed list."""

    name: CategoryName


class TicketCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A ticket entered by an agent (`manual`) or submitted through a web form (`web`).

    Priority, team, tags and category given here override what routing rules set.
    """

    subject: Annotated[str, msgspec.Meta(min_length=1, max_length=1000, pattern=r"\S")]
    text: Text
    requester_email: Annotated[
        str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^\S+@\S+$")
    ]
    requester_name: Annotated[str, msgspec.Meta(max_length=300)] = ""
    source: Literal["manual", "web"] = "manual"
    author: Author | None = None
    priority: TicketPriority | None = None
    assigned_team: Team | None = None
    tags: list[Tag] = msgspec.field(default_factory=list)
    category: CategoryName | None = None


class RoutingRuleCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A routing rule: every condition given must hold; absent conditions match all."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
    position: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] = 0
    recipient: Annotated[str, msgspec.Meta(min_length=3, max_length=320)] | None = None
    customer_tier: Annotated[str, msgspec.Meta(min_length=1, max_length=50)] | None = None
    subject_keywords: list[Annotated[str, msgspec.Meta(min_length=1, max_length=200)]] = (
        msgspec.field(default_factory=list)
    )
    category: CategoryName | None = None
    set_team: Team | None = None
    set_priority: TicketPriority | None = None
    set_category: CategoryName | None = None
    add_tags: list[Tag] = msgspec.field(default_factory=list)


class RoutingRuleOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    position: int
    recipient: str | None
    customer_tier: str | None
    subject_keywords: list[str]
    category: str | None
    set_team: str | None
    set_priority: TicketPriority | None
    set_category: str | None
    add_tags: list[str]
    created_at: datetime


class CategoryOut(msgspec.Struct, kw_only=True):
    name: str
    created_at: datetime


class AuditEntryOut(msgspec.Struct, kw_only=True):
    """One changed field; values are JSON, null for an unset value."""

    actor: str
    field: str
    old_value: Any
    new_value: Any
    at: datetime


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
    merged_into: uuid.UUID | None
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
    """A ticket with its customer, interactions and audit history.

    `customer_context` is customer_service's account context, shown by `GET` requests
    only, and null when customer_service did not reply in time.
    """

    customer: CustomerOut
    interactions: list[InteractionOut]
    audit: list[AuditEntryOut]
    customer_context: AccountContextReply | None = None
    # People Cc'd on the thread; agent replies Cc them.
    cc_recipients: list[EmailAddress] = msgspec.field(default_factory=list)
    # The intake form the ticket was submitted with, and the answers by field key.
    form_id: uuid.UUID | None = None
    form_name: str | None = None
    form_values: dict[str, Any] = msgspec.field(default_factory=dict)


class TicketPage(msgspec.Struct, kw_only=True):
    """One page of tickets; pass `next_cursor` as `cursor` for the next, null on the last."""

    items: list[TicketOut]
    next_cursor: str | None


def _ticket_fields(ticket: Ticket) -> dict[str, Any]:
    return {name: getattr(ticket, name) for name in TicketOut.__struct_fields__}


def ticket_out(ticket: Ticket) -> TicketOut:
    """Return the ticket's fields as a response body."""
    return TicketOut(**_ticket_fields(ticket))


def ticket_detail(
    ticket: Ticket,
    interactions: list[Interaction],
    audit: list[AuditEntry],
    customer_context: AccountContextReply | None = None,
    form_name: str | None = None,
) -> TicketDetail:
    """Return the ticket with its customer, interactions and audit history, oldest first."""
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
        audit=[audit_entry_out(entry) for entry in audit],
        customer_context=customer_context,
        cc_recipients=msgspec.convert(ticket.cc_recipients or [], list[EmailAddress]),
        form_id=ticket.form_id,
        form_name=form_name,
        form_values=dict(ticket.form_values or {}),
    )


def audit_entry_out(entry: AuditEntry) -> AuditEntryOut:
    """Return an audit entry as a response body."""
    return AuditEntryOut(
        actor=entry.actor,
        field=entry.field,
        old_value=entry.old_value,
        new_value=entry.new_value,
        at=entry.at,
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
