"""New tickets from the portal (a signed-in contact) and the anonymous web form.

A portal ticket belongs to the viewer's contact and customer as customer_service
returns them. A web ticket's sender address is resolved through customer_service as for
inbound mail, and agent replies go to that address (`source_email`). Routing rules
apply as to every new ticket, then the intake form's presets override what they set.
The text becomes a `PORTAL_MESSAGE` interaction the customer sees, and `TicketCreated`
goes out through the outbox so that sla_service starts the clock.
"""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType, TicketPriority, TicketSource, TicketStatus
from helpdesk_contracts.messages import (
    AttachmentInfo,
    EmailAddress,
    PortalFieldError,
    PortalSubmitReply,
    PortalSubmitRequest,
)
from helpdesk_runtime.logging import get_logger
from ticket_service import events
from ticket_service.audit import record_changed_fields, record_differences, snapshot
from ticket_service.classification import normalize_tags
from ticket_service.enrichment import ContactResolver, enrich_new_ticket
from ticket_service.intake_forms import form_fields, validate_values
from ticket_service.interactions import new_interaction
from ticket_service.models import IntakeFormRecord, Interaction, Ticket, ticket_number_seq
from ticket_service.portal_scope import PortalScope
from ticket_service.routing import ROUTED_FIELDS, ROUTING_ACTOR, route_new_ticket
from ticket_service.tickets import utc_now

log = get_logger(__name__)

MAX_SUBJECT_LENGTH = 1000
MAX_TEXT_LENGTH = 200_000
MAX_ATTACHMENTS = 20

# The actor of preset changes in the audit history.
INTAKE_FORM_ACTOR = "intake form"

_ADDRESS_PATTERN = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


@dataclass(frozen=True)
class PortalAuthor:
    """The author of a portal message: its address, name and, when signed in, its scope."""

    address: str
    name: str
    scope: PortalScope | None = None


@dataclass(frozen=True)
class NewPortalTicket:
    """A validated ticket to open from the portal or web form."""

    subject: str
    text_body: str
    source: TicketSource
    author: PortalAuthor
    attachments: Sequence[AttachmentInfo] = ()
    form: IntakeFormRecord | None = None
    form_values: dict[str, object] = field(default_factory=dict)
    follow_up_of: uuid.UUID | None = None


def portal_author(scope: PortalScope) -> PortalAuthor:
    """Return the author of messages the signed-in contact writes."""
    address = scope.address or f"contact {scope.contact_id}"
    return PortalAuthor(address=address, name=scope.name, scope=scope)


def message_errors(text_body: str, attachments: Sequence[AttachmentInfo]) -> list[PortalFieldError]:
    """Return the problems of a message's text and attachments."""
    errors = []
    if not text_body.strip():
        errors.append(PortalFieldError(field="text_body", message="Enter a message."))
    elif len(text_body) > MAX_TEXT_LENGTH:
        errors.append(
            PortalFieldError(
                field="text_body", message=f"Enter at most {MAX_TEXT_LENGTH} characters."
            )
        )
    if len(attachments) > MAX_ATTACHMENTS:
        errors.append(
            PortalFieldError(
                field="attachments", message=f"Attach at most {MAX_ATTACHMENTS} files."
            )
        )
    return errors


def submission_errors(request: PortalSubmitRequest) -> list[PortalFieldError]:
    """Return the problems of the submission's source, sender, subject and text."""
    errors = []
    if request.source is TicketSource.PORTAL and request.viewer is None:
        errors.append(PortalFieldError(field="viewer", message="Sign in to submit a ticket."))
    elif request.source is TicketSource.WEB:
        errors.extend(_sender_errors(request.sender))
    elif request.source not in (TicketSource.PORTAL, TicketSource.WEB):
        errors.append(PortalFieldError(field="source", message="The source must be portal or web."))

    subject = request.subject.strip()
    if not subject:
        errors.append(PortalFieldError(field="subject", message="Enter a subject."))
    elif len(subject) > MAX_SUBJECT_LENGTH:
        errors.append(
            PortalFieldError(
                field="subject", message=f"Enter at most {MAX_SUBJECT_LENGTH} characters."
            )
        )
    errors.extend(message_errors(request.text_body, request.attachments))
    return errors


def _sender_errors(sender: EmailAddress | None) -> list[PortalFieldError]:
    if sender is None or not sender.address.strip():
        return [PortalFieldError(field="sender", message="Enter your email address.")]
    address = sender.address.strip()
    if len(address) > 320 or not _ADDRESS_PATTERN.match(address):
        return [PortalFieldError(field="sender", message="Enter a valid email address.")]
    return []


def form_errors(
    form: IntakeFormRecord, request: PortalSubmitRequest
) -> tuple[dict[str, object], list[PortalFieldError]]:
    """Validate the submitted answers; return the answers to store and the errors."""
    stored, errors = validate_values(form_fields(form), request.form_values, request.attachments)
    return stored, [PortalFieldError(field=error.key, message=error.message) for error in errors]


async def open_portal_ticket(
    session: AsyncSession,
    new: NewPortalTicket,
    resolver: ContactResolver,
    correlation_id: str,
) -> tuple[Ticket, Interaction]:
    """Create, route and announce the ticket with its first message; the caller commits."""
    now = utc_now()
    ticket = await _new_ticket(session, new, now)
    await _link_contact(ticket, new.author, resolver, correlation_id)

    initial = snapshot(ticket, ROUTED_FIELDS)
    await route_new_ticket(session, ticket, ())
    routed = snapshot(ticket, ROUTED_FIELDS)
    if new.form is not None:
        _apply_presets(ticket, new.form)

    session.add(ticket)
    await session.flush()
    # Audited in two steps, so the history records what the rules set and what the form set.
    record_differences(session, ticket.id, initial, routed, ROUTING_ACTOR, now)
    record_changed_fields(session, ticket, routed, INTAKE_FORM_ACTOR, now)

    interaction = portal_message(ticket.id, new.author, new.text_body, new.attachments, now)
    session.add(interaction)
    await session.flush()

    await events.ticket_created(session, ticket, correlation_id)
    await events.interaction_added(session, ticket, interaction, correlation_id)
    log.info(
        "ticket opened from the portal",
        ticket_id=str(ticket.id),
        number=ticket.number,
        source=ticket.source.value,
        form_id=str(ticket.form_id) if ticket.form_id else None,
        follow_up_of=str(ticket.follow_up_of) if ticket.follow_up_of else None,
        contact_id=str(ticket.primary_contact_id) if ticket.primary_contact_id else None,
    )
    return ticket, interaction


async def _new_ticket(session: AsyncSession, new: NewPortalTicket, now: datetime) -> Ticket:
    number = await session.scalar(ticket_number_seq.next_value())
    return Ticket(
        id=uuid.uuid4(),
        number=number,
        subject=new.subject.strip().replace("\x00", ""),
        status=TicketStatus.OPEN,
        priority=TicketPriority.MEDIUM,
        source=new.source,
        # Agent replies go by email to this address, as for tickets opened by mail.
        source_email=new.author.address if "@" in new.author.address else None,
        follow_up_of=new.follow_up_of,
        contact_ids=[],
        enrichment_pending=False,
        assigned_to=[],
        assigned_team=None,
        tags=[],
        category=None,
        form_id=new.form.id if new.form is not None else None,
        form_values=new.form_values,
        created_at=now,
        updated_at=now,
        version=1,
    )


async def _link_contact(
    ticket: Ticket, author: PortalAuthor, resolver: ContactResolver, correlation_id: str
) -> None:
    scope = author.scope
    if scope is None:
        # An anonymous sender is resolved like the sender of a first email.
        await enrich_new_ticket(ticket, resolver, author.name, correlation_id)
        return

    ticket.contact_ids = [scope.contact_id]
    ticket.primary_contact_id = scope.contact_id
    ticket.customer_id = scope.customer_id
    ticket.customer_name = scope.customer_name
    ticket.customer_tier = scope.customer_tier


def _apply_presets(ticket: Ticket, form: IntakeFormRecord) -> None:
    if form.category is not None:
        ticket.category = form.category
    if form.team is not None:
        ticket.assigned_team = form.team
    if form.priority is not None:
        ticket.priority = form.priority
    ticket.tags = normalize_tags([*ticket.tags, *form.tags])


def portal_message(
    ticket_id: uuid.UUID,
    author: PortalAuthor,
    text_body: str,
    attachments: Sequence[AttachmentInfo],
    now: datetime,
) -> Interaction:
    """Build the `PORTAL_MESSAGE` interaction of a customer's message.

    The sender is kept in `email_from` like an email's, so views and reply greetings
    find the display name the same way for both.
    """
    return new_interaction(
        ticket_id,
        InteractionType.PORTAL_MESSAGE,
        author=author.address,
        text_body=text_body.replace("\x00", ""),
        now=now,
        email_from={"address": author.address, "name": author.name},
        attachments=msgspec.to_builtins(tuple(attachments)),
    )


def submitted(ticket: Ticket) -> PortalSubmitReply:
    """Return the reply for a created ticket."""
    return PortalSubmitReply(ticket_id=ticket.id, number=ticket.number)
