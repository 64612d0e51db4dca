"""Every message the services exchange, as msgspec Structs.

Each message carries an `id` (also its `Nats-Msg-Id` when published to JetStream), the
UTC time it was created and a schema version. Contracts evolve only by adding optional
fields; consumers tolerate fields they do not know, so older services keep working.
"""

import uuid
from datetime import UTC, date, datetime

import msgspec

from helpdesk_contracts.enums import (
    ContactMatch,
    FormFieldType,
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
    # An automatic answer to another message, such as an out-of-office reply (RFC 3834
    # "auto-replied" and vendor auto-responder headers); a subset of `auto_submitted`.
    automatic_reply: bool = False
    list_id: str | None = None
    thread_index: str | None = None
    parse_warnings: tuple[str, ...] = ()
    # The reply without quoted history and signature; None when the event left it out
    # to fit the NATS payload limit.
    new_text: str | None = None
    # S/MIME or OpenPGP as the message claims it; never verified, so never proof of identity.
    signed: bool = False
    encrypted: bool = False


class OutboundEmailRequested(Message, frozen=True, kw_only=True):
    """An agent reply that email_gateway must deliver over SMTP.

    `reply_to` becomes the Reply-To field, so the customer's reply reaches the queue
    named there. When it is empty, the field is left out and replies go to `sender`.
    """

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
    reply_to: tuple[EmailAddress, ...] = ()


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


class OutboundEmailBounced(Message, frozen=True, kw_only=True):
    """An outbound message that a delivery status notification (RFC 3464) reported as failed.

    `status` is the RFC 3463 status code (such as "5.1.1") and `diagnostic` the remote
    server's reply, both as the report gives them; either is empty when it is missing.
    """

    ticket_id: uuid.UUID
    interaction_id: uuid.UUID
    message_id: str
    status: str
    diagnostic: str
    recipient: str


class AccountEmailRequested(Message, frozen=True, kw_only=True):
    """Mail about a portal account that email_gateway must deliver, such as a sign-in link.

    `purpose` names the kind ("sign_in_link", "password_reset") for logs and metrics; the
    text already holds everything the recipient needs.
    """

    to: EmailAddress
    subject: str
    text_body: str
    html_body: str | None = None
    purpose: str


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
    category: str | None = None


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


class TicketFieldsChanged(Message, frozen=True, kw_only=True):
    """An agent or a routing rule changed a ticket's assignment or classification.

    `fields` names the fields that changed; the other fields carry the ticket's current
    values of all four, so a consumer needs no earlier event to know the state.
    """

    ticket_id: uuid.UUID
    version: int
    fields: tuple[str, ...]
    assigned_to: tuple[str, ...]
    assigned_team: str | None
    tags: tuple[str, ...]
    category: str | None
    changed_at: datetime
    actor: str


class TicketMerged(Message, frozen=True, kw_only=True):
    """A ticket was merged into another: its interactions moved there and it was Closed."""

    ticket_id: uuid.UUID
    into_ticket_id: uuid.UUID
    version: int
    into_version: int
    merged_at: datetime
    actor: str


class AgentMentioned(Message, frozen=True, kw_only=True):
    """An internal note named an agent with an `@agent` token."""

    ticket_id: uuid.UUID
    interaction_id: uuid.UUID
    agent: str
    author: str


# --- portal -----------------------------------------------------------------------------


class PortalViewer(msgspec.Struct, frozen=True, kw_only=True):
    """The signed-in contact on whose behalf portal_api sends a request.

    Only the contact is claimed; ticket_service looks up the contact's customer and
    whether the contact may see all of that customer's tickets itself.
    """

    contact_id: uuid.UUID


class PortalFieldError(msgspec.Struct, frozen=True, kw_only=True):
    """The reason one submitted value was rejected; `field` is the form field key or "subject"."""

    field: str
    message: str


class PortalTicketSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A ticket as the portal's list shows it."""

    ticket_id: uuid.UUID
    number: int
    subject: str
    status: TicketStatus
    source: TicketSource
    created_at: datetime
    updated_at: datetime


class PortalInteraction(msgspec.Struct, frozen=True, kw_only=True):
    """A customer-visible interaction; `from_customer` tells the customer's own messages apart."""

    id: uuid.UUID
    type: InteractionType
    author_name: str
    from_customer: bool
    text_body: str
    html_body: str | None
    created_at: datetime
    attachments: tuple[AttachmentInfo, ...] = ()


class PortalTicketView(msgspec.Struct, frozen=True, kw_only=True):
    """A ticket page of the portal: the ticket, its form answers and visible interactions."""

    ticket_id: uuid.UUID
    number: int
    subject: str
    status: TicketStatus
    source: TicketSource
    created_at: datetime
    updated_at: datetime
    form_name: str | None = None
    form_values: dict[str, object] = msgspec.field(default_factory=dict)
    # The labels of the form's fields by key, from the form as stored, so answers keep
    # their labels after the form is renamed or deactivated.
    form_labels: dict[str, str] = msgspec.field(default_factory=dict)
    interactions: tuple[PortalInteraction, ...] = ()


class PortalTicketListRequest(Message, frozen=True, kw_only=True):
    """The viewer's tickets, newest activity first, one page after the cursor `after`."""

    viewer: PortalViewer
    statuses: tuple[TicketStatus, ...] = ()
    search: str | None = None
    limit: int = 25
    after: str | None = None


class PortalTicketListReply(Message, frozen=True, kw_only=True):
    """One page of the viewer's tickets; `next_cursor` is None on the last page."""

    tickets: tuple[PortalTicketSummary, ...]
    next_cursor: str | None = None


class PortalTicketRequest(Message, frozen=True, kw_only=True):
    """One ticket by its number, if the viewer may see it."""

    viewer: PortalViewer
    number: int


class PortalTicketReply(Message, frozen=True, kw_only=True):
    """The ticket page, or None when it does not exist or is outside the viewer's scope."""

    ticket: PortalTicketView | None = None


class PortalReplyRequest(Message, frozen=True, kw_only=True):
    """A customer's reply written in the portal, with attachments already in the blob store."""

    viewer: PortalViewer
    number: int
    text_body: str
    attachments: tuple[AttachmentInfo, ...] = ()


class PortalReplyReply(Message, frozen=True, kw_only=True):
    """The new interaction, or `found` false when the ticket is outside the viewer's scope."""

    found: bool
    interaction_id: uuid.UUID | None = None
    field_errors: tuple[PortalFieldError, ...] = ()
    # The ticket the message was added to: the requested one, or the follow-up that a
    # reply to a Closed ticket went to.
    ticket_number: int | None = None


class PortalSubmitRequest(Message, frozen=True, kw_only=True):
    """A new ticket from the portal (`viewer` set) or the anonymous web form (`sender` set).

    `form_values` maps field keys to values as JSON gives them (strings, numbers, booleans,
    lists of strings; ISO dates as strings; a file field's value is the SHA-256 of an
    attachment in `attachments`).
    """

    viewer: PortalViewer | None = None
    sender: EmailAddress | None = None
    source: TicketSource
    subject: str
    text_body: str
    attachments: tuple[AttachmentInfo, ...] = ()
    form_id: uuid.UUID | None = None
    form_values: dict[str, object] = msgspec.field(default_factory=dict)
    # Only check the submission and return every field error, opening no ticket; the
    # portal sends this when its own checks already failed, to show all errors at once.
    validate_only: bool = False


class PortalSubmitReply(Message, frozen=True, kw_only=True):
    """The new ticket, or the reasons the submission was refused."""

    ticket_id: uuid.UUID | None = None
    number: int | None = None
    field_errors: tuple[PortalFieldError, ...] = ()


class IntakeFormField(msgspec.Struct, frozen=True, kw_only=True):
    """One question of an intake form; `options` lists the choices of select fields."""

    key: str
    label: str
    type: FormFieldType
    required: bool = False
    help_text: str = ""
    options: tuple[str, ...] = ()


class IntakeForm(msgspec.Struct, frozen=True, kw_only=True):
    """A form agents defined for new tickets, with the fields it presets on the ticket."""

    id: uuid.UUID
    name: str
    description: str = ""
    fields: tuple[IntakeFormField, ...] = ()
    anonymous: bool = False
    category: str | None = None
    team: str | None = None
    priority: TicketPriority | None = None
    tags: tuple[str, ...] = ()


class PortalFormsRequest(Message, frozen=True, kw_only=True):
    """The active intake forms; only those open to the anonymous web form when `anonymous`."""

    anonymous: bool = False


class PortalFormsReply(Message, frozen=True, kw_only=True):
    """The active intake forms."""

    forms: tuple[IntakeForm, ...]


class PortalAttachmentRequest(Message, frozen=True, kw_only=True):
    """An attachment by digest, if it belongs to a visible interaction of a visible ticket."""

    viewer: PortalViewer
    number: int
    sha256: str


class PortalAttachmentReply(Message, frozen=True, kw_only=True):
    """The attachment's metadata, or None when the viewer may not download it."""

    attachment: AttachmentInfo | None = None


# --- SLA --------------------------------------------------------------------------------


class SlaTargetsSet(Message, frozen=True, kw_only=True):
    """Targets computed for a ticket; a `None` due time means the policy sets no target."""

    ticket_id: uuid.UUID
    ticket_version: int
    policy_name: str
    first_response_due: datetime | None
    resolution_due: datetime | None


class SlaBreached(Message, frozen=True, kw_only=True):
    """A target's due time passed before it was met; sent once per target of a ticket.

    `target` is "first_response" or "resolution".
    """

    ticket_id: uuid.UUID
    target: str
    due_at: datetime
    breached_at: datetime


class SlaWarning(Message, frozen=True, kw_only=True):
    """A target is `fraction` (0 to 1) of the way to its due time and not met yet.

    Sent once per target and fraction. `target` is "first_response" or "resolution".
    """

    ticket_id: uuid.UUID
    target: str
    due_at: datetime
    fraction: float


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
    # Which rule linked the sender when `match` alone does not tell: "plus_address" (the
    # address without its +tag is known) or "subdomain" (a parent domain's customer).
    match_rule: str | None = None


class AccountContextRequest(Message, frozen=True, kw_only=True):
    """Everything known about an account, by contact or by customer (one of the two)."""

    contact_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None


class ContextContact(msgspec.Struct, frozen=True, kw_only=True):
    """A contact as shown in an account context."""

    id: uuid.UUID
    name: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    sees_all_customer_tickets: bool


class ContextCustomer(msgspec.Struct, frozen=True, kw_only=True):
    """A customer as shown in an account context."""

    id: uuid.UUID
    name: str
    tier: str
    domains: tuple[str, ...]
    owner: str | None
    notes: str
    attributes: dict[str, object]


class ContextOnboardingStep(msgspec.Struct, frozen=True, kw_only=True):
    """One step of a customer's onboarding plan."""

    id: uuid.UUID
    title: str
    owner: str | None
    due_date: date | None
    status: str


class ContextOnboarding(msgspec.Struct, frozen=True, kw_only=True):
    """A customer's onboarding plan, whose `progress` is done steps / all steps (0 if empty)."""

    steps: tuple[ContextOnboardingStep, ...]
    progress: float


class ContextTimeEntry(msgspec.Struct, frozen=True, kw_only=True):
    """Time an agent spent on the account."""

    id: uuid.UUID
    minutes: int
    agent: str
    spent_on: date
    description: str
    billable: bool
    ticket_id: uuid.UUID | None


class ContextTimeTotals(msgspec.Struct, frozen=True, kw_only=True):
    """Minutes recorded on the account, all of them and the billable ones."""

    minutes: int
    billable_minutes: int


class ContextTicket(msgspec.Struct, frozen=True, kw_only=True):
    """An earlier ticket of the account with its latest known status."""

    ticket_id: uuid.UUID
    number: int
    subject: str
    status: str
    created_at: datetime
    last_activity_at: datetime


class AccountContextReply(Message, frozen=True, kw_only=True):
    """A contact's or customer's record in one reply, for agents and ticket views."""

    contact: ContextContact | None = None
    customer: ContextCustomer | None = None
    tier: str | None = None
    onboarding: ContextOnboarding | None = None
    recent_time_entries: tuple[ContextTimeEntry, ...] = ()
    time_totals: ContextTimeTotals = ContextTimeTotals(minutes=0, billable_minutes=0)
    tickets: tuple[ContextTicket, ...] = ()


class ContactScopeRequest(Message, frozen=True, kw_only=True):
    """A request for a contact's customer and how much of it the contact may see."""

    contact_id: uuid.UUID


class ContactScopeReply(Message, frozen=True, kw_only=True):
    """A contact's customer and portal visibility; `found` is false for an unknown contact."""

    contact_id: uuid.UUID
    found: bool
    name: str = ""
    emails: tuple[str, ...] = ()
    customer_id: uuid.UUID | None = None
    sees_all_customer_tickets: bool = False
    # The customer's name and tier, which new portal tickets carry like email tickets.
    customer_name: str | None = None
    customer_tier: str | None = None


class ContactMoved(Message, frozen=True, kw_only=True):
    """A contact now belongs to another customer, or to none."""

    contact_id: uuid.UUID
    from_customer_id: uuid.UUID | None
    to_customer_id: uuid.UUID | None
    customer_tier: str | None = None
    customer_name: str | None = None


class CustomerTierChanged(Message, frozen=True, kw_only=True):
    """A customer's tier changed."""

    customer_id: uuid.UUID
    from_tier: str
    to_tier: str


class CustomerDomainAdded(Message, frozen=True, kw_only=True):
    """A customer now owns another email domain."""

    customer_id: uuid.UUID
    domain: str


class ContactsMerged(Message, frozen=True, kw_only=True):
    """A duplicate contact was merged into another and no longer exists."""

    source_contact_id: uuid.UUID
    target_contact_id: uuid.UUID


class ErrorReply(Message, frozen=True, kw_only=True):
    """The reply of a request/reply handler that could not serve the request."""

    error: str
