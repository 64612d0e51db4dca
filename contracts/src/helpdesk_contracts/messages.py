"""Every message the services exchange, as msgspec Structs.

Each message carries an `id` (also its `Nats-Msg-Id` when published to JetStream), the
UTC time it was created and a schema version. Contracts evolve only by adding optional
fields; consumers tolerate fields they do not know, so older services keep working.
"""

import uuid
from datetime import UTC, datetime

import msgspec

from helpdesk_contracts.enums import (
    ContactMatch,
    InteractionType,
    TicketPriority,
    TicketSource,
    TicketStatus,
)


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class Message(msgspec.Struct, kw_only=True, frozen=True):
    """Fields shared by every message."""

    id: uuid.UUID = msgspec.field(default_factory=uuid.uuid4)
    occurred_at: datetime = msgspec.field(default_factory=utc_now)
    schema_version: int = 1


class EmailAddress(msgspec.Struct, frozen=True):
    """A mailbox with its optional display name, decoded from RFC 2047 where needed."""

    address: str
    name: str = ""


class AttachmentInfo(msgspec.Struct, frozen=True, kw_only=True):
    """An attachment kept by the gateway, addressed by the SHA-256 of its content."""

    filename: str
    content_type: str
    size: int
    sha256: str
    content_id: str | None = None
    inline: bool = False


# --- mail -------------------------------------------------------------------------------


class InboundEmailReceived(Message, frozen=True, kw_only=True):
    """A message accepted by email_gateway, stored raw and parsed.

    `message_id` is the RFC 5322 Message-ID without angle brackets; the gateway
    derives a deterministic one from the content when the header is missing.
    """

    raw_message_id: uuid.UUID
    message_id: str
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    sender: EmailAddress
    to: tuple[EmailAddress, ...] = ()
    cc: tuple[EmailAddress, ...] = ()
    reply_to: tuple[EmailAddress, ...] = ()
    envelope_recipients: tuple[str, ...] = ()
    subject: str = ""
    sent_at: datetime | None = None
    original_date_header: str | None = None
    received_at: datetime
    text_body: str = ""
    html_body: str | None = None
    attachments: tuple[AttachmentInfo, ...] = ()
    auto_submitted: bool = False
    auto_submitted_reason: str | None = None
    list_id: str | None = None
    thread_index: str | None = None
    parse_warnings: tuple[str, ...] = ()


class OutboundEmailRequested(Message, frozen=True, kw_only=True):
    """An agent reply that email_gateway must deliver over SMTP."""

    ticket_id: uuid.UUID
    interaction_id: uuid.UUID
    message_id: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    sender: EmailAddress
    to: tuple[EmailAddress, ...]
    cc: tuple[EmailAddress, ...] = ()
    subject: str
    text_body: str
    html_body: str | None = None


class OutboundEmailSent(Message, frozen=True, kw_only=True):
    """An outbound message accepted by the next SMTP hop."""

    ticket_id: uuid.UUID
    interaction_id: uuid.UUID
    message_id: str
    sent_at: datetime
    attempts: int = 1


class OutboundEmailFailed(Message, frozen=True, kw_only=True):
    """An outbound message that could not be delivered after its retries."""

    ticket_id: uuid.UUID
    interaction_id: uuid.UUID
    message_id: str
    error: str
    attempts: int


# --- tickets ----------------------------------------------------------------------------


class TicketCreated(Message, frozen=True, kw_only=True):
    """A new ticket, with the seed fields other services key their work on."""

    ticket_id: uuid.UUID
    number: int
    version: int
    subject: str
    status: TicketStatus
    priority: TicketPriority
    source: TicketSource
    created_at: datetime
    customer_id: uuid.UUID | None = None
    customer_tier: str | None = None
    primary_contact_id: uuid.UUID | None = None
    assigned_team: str | None = None


class InteractionAdded(Message, frozen=True, kw_only=True):
    """An interaction appended to a ticket."""

    ticket_id: uuid.UUID
    interaction_id: uuid.UUID
    version: int
    type: InteractionType
    customer_visible: bool
    created_at: datetime
    author: str
    text_body: str = ""


class TicketStatusChanged(Message, frozen=True, kw_only=True):
    """A ticket moved from one status to another."""

    ticket_id: uuid.UUID
    version: int
    from_status: TicketStatus
    to_status: TicketStatus
    changed_at: datetime
    actor: str


class TicketFirstResponded(Message, frozen=True, kw_only=True):
    """The first customer-visible reply by an agent on a ticket."""

    ticket_id: uuid.UUID
    version: int
    responded_at: datetime


class TicketPriorityChanged(Message, frozen=True, kw_only=True):
    """An agent changed a ticket's priority."""

    ticket_id: uuid.UUID
    version: int
    from_priority: TicketPriority
    to_priority: TicketPriority
    changed_at: datetime
    actor: str


class TicketEnriched(Message, frozen=True, kw_only=True):
    """A ticket created without its contact got the contact and customer later.

    Published when customer_service did not reply in time while the ticket was created
    and a later retry resolved the sender.
    """

    ticket_id: uuid.UUID
    version: int
    contact_ids: tuple[uuid.UUID, ...]
    primary_contact_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    customer_name: str | None = None
    customer_tier: str | None = None


# --- SLA --------------------------------------------------------------------------------


class SlaTargetsSet(Message, frozen=True, kw_only=True):
    """Targets computed for a ticket; a `None` due time means the policy sets no target."""

    ticket_id: uuid.UUID
    ticket_version: int
    policy_name: str
    first_response_due: datetime | None
    resolution_due: datetime | None


# --- customers --------------------------------------------------------------------------


class ResolveContactRequest(Message, frozen=True, kw_only=True):
    """Find or create the contact behind a sender address."""

    address: str
    display_name: str = ""


class ResolveContactReply(Message, frozen=True, kw_only=True):
    """The contact behind an address, its customer (if any) and how they were matched."""

    contact_id: uuid.UUID
    match: ContactMatch
    customer_id: uuid.UUID | None = None
    customer_name: str | None = None
    customer_tier: str | None = None


class ErrorReply(Message, frozen=True, kw_only=True):
    """The reply of a request/reply handler that could not serve the request."""

    error: str
