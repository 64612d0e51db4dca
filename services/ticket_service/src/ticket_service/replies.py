"""An agent's email reply: an `EMAIL_OUTBOUND` interaction and a send request.

The reply gets a Message-ID in our own format, which is indexed at once, so the
customer's reply threads onto the ticket. The send request carries In-Reply-To (the
newest inbound message) and References (the thread root first, then the ticket's known
ids oldest to newest) so that mail clients thread it too (RFC 5322 section 3.6.4).
email_gateway sends it after the outbox relay publishes it.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType, TicketStatus
from helpdesk_contracts.messages import EmailAddress, OutboundEmailRequested
from helpdesk_runtime.logging import get_logger
from ticket_service import events
from ticket_service.errors import NoRecipientError, TicketClosedError
from ticket_service.interactions import (
    address_json,
    addresses_json,
    append_interaction,
    new_interaction,
)
from ticket_service.mail_subjects import reply_subject
from ticket_service.message_ids import Direction, add_to_index, outbound_message_id
from ticket_service.models import Interaction, Ticket
from ticket_service.participants import InternalAddresses, reply_cc
from ticket_service.preconditions import IfMatch
from ticket_service.tickets import lock_ticket, utc_now

log = get_logger(__name__)

# Long threads would grow References without bound, so only the root and the newest
# ids are kept. Mail clients find the parent through In-Reply-To.
MAX_REFERENCES = 20


@dataclass(frozen=True)
class ReplyRequest:
    """An agent's reply as the API received it."""

    ticket_id: uuid.UUID
    text: str
    author: str
    if_match: IfMatch | None
    correlation_id: str


@dataclass(frozen=True)
class OutboundIdentity:
    """The senders of agent replies and the domain of their Message-IDs.

    `sender` is the default support mailbox; `team_senders` maps a team name to the
    mailbox of that team's queue.
    """

    sender: EmailAddress
    mail_domain: str
    team_senders: Mapping[str, EmailAddress] = field(default_factory=dict)

    def sender_for(self, team: str | None) -> EmailAddress:
        """Return the mailbox that replies on a ticket of `team` come from."""
        if team is None:
            return self.sender
        return self.team_senders.get(team, self.sender)


@dataclass(frozen=True)
class ThreadHeaders:
    """The threading headers and recipient of a reply."""

    in_reply_to: str | None
    references: tuple[str, ...]
    recipient: EmailAddress
    cc: tuple[EmailAddress, ...] = ()


async def reply_to_ticket(
    session: AsyncSession, request: ReplyRequest, identity: OutboundIdentity
) -> tuple[Ticket, Interaction]:
    """Record the reply, stamp the first response, and queue the email; the caller commits."""
    ticket = await lock_ticket(session, request.ticket_id)
    _check_can_reply(ticket, request)

    headers = await _thread_headers(session, ticket)
    cc = await reply_cc(session, ticket, _internal_addresses(identity))
    headers = replace(headers, cc=tuple(cc))
    now = utc_now()
    interaction = await _record_outbound(session, ticket, request, identity, headers, now)

    first_response = ticket.first_response_at is None
    if first_response:
        ticket.first_response_at = now
    await session.flush()

    await events.interaction_added(session, ticket, interaction, request.correlation_id)
    if first_response:
        await events.first_responded(session, ticket, now, request.correlation_id)
    send = _send_request(ticket, interaction, identity, headers)
    await events.outbound_email_requested(session, send, request.correlation_id)

    log.info(
        "agent reply queued",
        ticket_id=str(ticket.id),
        interaction_id=str(interaction.id),
        message_id=send.message_id,
        first_response=first_response,
    )
    return ticket, interaction


def _internal_addresses(identity: OutboundIdentity) -> InternalAddresses:
    team_mailboxes = [sender.address for sender in identity.team_senders.values()]
    return InternalAddresses.of([identity.sender.address, *team_mailboxes], identity.mail_domain)


def _check_can_reply(ticket: Ticket, request: ReplyRequest) -> None:
    if request.if_match is not None:
        request.if_match.check(ticket.version)
    if ticket.status is TicketStatus.CLOSED:
        raise TicketClosedError(ticket.number)
    if not ticket.source_email:
        raise NoRecipientError(ticket.number)


async def _record_outbound(
    session: AsyncSession,
    ticket: Ticket,
    request: ReplyRequest,
    identity: OutboundIdentity,
    headers: ThreadHeaders,
    now: datetime,
) -> Interaction:
    """Append the `EMAIL_OUTBOUND` interaction and index its new Message-ID."""
    interaction_id = uuid.uuid4()
    message_id = outbound_message_id(ticket.id, interaction_id, identity.mail_domain)
    interaction = new_interaction(
        ticket.id,
        InteractionType.EMAIL_OUTBOUND,
        author=request.author,
        text_body=request.text,
        now=now,
        interaction_id=interaction_id,
        message_id=message_id,
        email_from=address_json(identity.sender_for(ticket.assigned_team)),
        email_to=[address_json(headers.recipient)],
        email_cc=addresses_json(headers.cc),
    )
    await append_interaction(session, ticket, interaction, now)
    add_to_index(
        session,
        message_id,
        ticket_id=ticket.id,
        interaction_id=interaction_id,
        direction=Direction.OUTBOUND,
        now=now,
    )
    return interaction


def _send_request(
    ticket: Ticket, interaction: Interaction, identity: OutboundIdentity, headers: ThreadHeaders
) -> OutboundEmailRequested:
    return OutboundEmailRequested(
        ticket_id=ticket.id,
        interaction_id=interaction.id,
        message_id=interaction.message_id or "",
        in_reply_to=headers.in_reply_to,
        references=headers.references,
        sender=identity.sender_for(ticket.assigned_team),
        # The customer's next message then reaches the queue this reply came from, also
        # from mail clients that reply to Reply-To in preference to From.
        reply_to=(identity.sender_for(ticket.assigned_team),),
        to=(headers.recipient,),
        cc=headers.cc,
        subject=reply_subject(ticket.subject, ticket.number),
        text_body=interaction.text_body,
    )


async def _thread_headers(session: AsyncSession, ticket: Ticket) -> ThreadHeaders:
    rows = (
        await session.execute(
            select(Interaction.message_id, Interaction.type, Interaction.email_from)
            .where(Interaction.ticket_id == ticket.id)
            .where(Interaction.message_id.is_not(None))
            .order_by(Interaction.created_at, Interaction.id)
        )
    ).all()

    known: dict[str, None] = {}
    if ticket.email_thread_id:
        known[ticket.email_thread_id] = None
    for row in rows:
        known.setdefault(row.message_id, None)

    inbound = [row for row in rows if row.type is InteractionType.EMAIL_INBOUND]
    in_reply_to = inbound[-1].message_id if inbound else None
    recipient = EmailAddress(
        address=ticket.source_email or "",
        name=_recipient_name(ticket.source_email or "", [row.email_from for row in inbound]),
    )
    return ThreadHeaders(
        in_reply_to=in_reply_to, references=_capped(list(known)), recipient=recipient
    )


def _capped(references: list[str]) -> tuple[str, ...]:
    if len(references) <= MAX_REFERENCES:
        return tuple(references)
    return (references[0], *references[-(MAX_REFERENCES - 1) :])


def _recipient_name(address: str, senders: list[dict[str, Any] | None]) -> str:
    # The display name the customer used most recently, so the reply greets them as they
    # sign their mail.
    for sender in reversed(senders):
        if sender and str(sender.get("address", "")).lower() == address.lower():
            return str(sender.get("name", ""))
    return ""
