"""An inbound email becomes an interaction on its ticket, or a new ticket.

The consumer calls `handle_inbound_email` inside one transaction: the thread lock, the
duplicate check, the threading decision, the change and its outbox events commit
together or not at all, so a redelivered message is either a duplicate or handled anew.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

import msgspec
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType, TicketPriority, TicketSource, TicketStatus
from helpdesk_contracts.messages import InboundEmailReceived
from helpdesk_runtime.logging import get_logger
from helpdesk_runtime.metrics import counter
from ticket_service import events
from ticket_service.audit import note_status_change, record_audit, record_changed_fields, snapshot
from ticket_service.enrichment import ContactResolver, enrich_new_ticket
from ticket_service.interactions import (
    address_json,
    addresses_json,
    append_interaction,
    new_interaction,
)
from ticket_service.lifecycle import set_status, status_after_customer_message
from ticket_service.mail_subjects import ticket_subject
from ticket_service.message_ids import Direction, add_to_index, index_key, is_indexed
from ticket_service.models import Interaction, SetAsideReply, Ticket, ticket_number_seq
from ticket_service.participants import (
    NO_INTERNAL_ADDRESSES,
    InternalAddresses,
    add_cc_recipients,
    agent_addresses,
    requester_of,
)
from ticket_service.routing import ROUTED_FIELDS, ROUTING_ACTOR, route_new_ticket
from ticket_service.threading import find_thread, lock_thread, thread_root
from ticket_service.tickets import utc_now

log = get_logger(__name__)

UNTHREADED_AUTOMATIC_REPLIES = counter(
    "ticket_automatic_replies_unthreaded_total",
    "Automatic replies (such as out-of-office) that matched no ticket and opened none.",
)


@dataclass(frozen=True)
class InboundContext:
    """Dependencies of inbound handling besides the message and the session."""

    mail_domain: str
    resolver: ContactResolver
    correlation_id: str
    internal: InternalAddresses = NO_INTERNAL_ADDRESSES


async def handle_inbound_email(
    session: AsyncSession, message: InboundEmailReceived, context: InboundContext
) -> Ticket | None:
    """Thread `message` onto a ticket or open one.

    Return None for a duplicate and for an automatic reply that matches no ticket.
    """
    await lock_thread(session, thread_root(message))

    # Checked under the thread lock, so a concurrent delivery of the same message
    # has either committed its index row already or waits for this transaction.
    if await is_indexed(session, message.message_id):
        log.info("duplicate inbound message ignored, its Message-ID is already indexed")
        return None

    match = await find_thread(session, message, context.mail_domain)
    now = utc_now()
    if match.ticket is None and message.automatic_reply:
        # An out-of-office answer to mail that is no ticket (a sign-in link, a reply to a
        # deleted thread) is no request for help. It is set aside where agents can see it.
        await _set_aside(session, message)
        return None

    if match.ticket is None:
        ticket = await _open_ticket(session, message, match.follow_up_of, context, now)
        log.info(
            "ticket opened from inbound message",
            ticket_id=str(ticket.id),
            number=ticket.number,
            follow_up_of=str(ticket.follow_up_of) if ticket.follow_up_of else None,
            enrichment_pending=ticket.enrichment_pending,
        )
        return ticket

    await _append_to_ticket(session, match.ticket, message, context, now)
    log.info(
        "inbound message threaded",
        ticket_id=str(match.ticket.id),
        number=match.ticket.number,
        matched_by=match.matched_by,
        status=match.ticket.status.value,
    )
    return match.ticket


async def _open_ticket(
    session: AsyncSession,
    message: InboundEmailReceived,
    follow_up_of: Ticket | None,
    context: InboundContext,
    now: datetime,
) -> Ticket:
    number = await session.scalar(ticket_number_seq.next_value())
    requester = requester_of(message, context.internal)
    ticket = Ticket(
        id=uuid.uuid4(),
        number=number,
        subject=_storable(ticket_subject(message.subject)),
        status=TicketStatus.OPEN,
        priority=TicketPriority.MEDIUM,
        source=TicketSource.EMAIL,
        source_email=requester.address,
        email_thread_id=thread_root(message),
        follow_up_of=follow_up_of.id if follow_up_of is not None else None,
        contact_ids=[],
        enrichment_pending=False,
        assigned_to=[],
        tags=[],
        cc_recipients=[],
        created_at=now,
        updated_at=now,
        version=1,
    )
    if not message.auto_submitted:
        add_cc_recipients(ticket, message, context.internal, await agent_addresses(session))
    await enrich_new_ticket(ticket, context.resolver, requester.name, context.correlation_id)
    before_routing = snapshot(ticket, ROUTED_FIELDS)
    recipients = [address.address for address in (*message.to, *message.cc)]
    await route_new_ticket(session, ticket, recipients)
    # Flushed one by one: without declared relationships the session does not order the
    # inserts by their foreign keys.
    session.add(ticket)
    await session.flush()
    record_changed_fields(session, ticket, before_routing, ROUTING_ACTOR, now)
    interaction = _inbound_interaction(ticket.id, message, now)
    session.add(interaction)
    await session.flush()
    _index_inbound(session, message, interaction, now)
    await session.flush()

    await events.ticket_created(session, ticket, context.correlation_id)
    await events.interaction_added(session, ticket, interaction, context.correlation_id)
    return ticket


async def _append_to_ticket(
    session: AsyncSession,
    ticket: Ticket,
    message: InboundEmailReceived,
    context: InboundContext,
    now: datetime,
) -> None:
    interaction = _inbound_interaction(ticket.id, message, now)
    await append_interaction(session, ticket, interaction, now)
    _index_inbound(session, message, interaction, now)
    _adopt_earlier_root(ticket, message)
    await _copy_new_participants(session, ticket, message, context, now)

    # Automatic mail (RFC 3834) such as an out-of-office reply is no news from the
    # customer, so it never moves the ticket.
    from_status = None
    new_status = None if message.auto_submitted else status_after_customer_message(ticket.status)
    if new_status is not None:
        from_status = set_status(ticket, new_status, now)
    await session.flush()

    await events.interaction_added(session, ticket, interaction, context.correlation_id)
    if from_status is not None:
        actor = message.sender.address
        await events.status_changed(session, ticket, from_status, actor, context.correlation_id)
        await note_status_change(session, ticket, from_status, actor, now, context.correlation_id)


async def _copy_new_participants(
    session: AsyncSession,
    ticket: Ticket,
    message: InboundEmailReceived,
    context: InboundContext,
    now: datetime,
) -> None:
    # Automatic mail adds nobody: an auto-responder's To and Cc are not people the
    # customer chose to copy.
    if message.auto_submitted:
        return
    before = list(ticket.cc_recipients)
    added = add_cc_recipients(ticket, message, context.internal, await agent_addresses(session))
    if added:
        actor = message.sender.address
        record_audit(session, ticket.id, actor, "cc_recipients", before, ticket.cc_recipients, now)
        log.info("cc recipients added", ticket_id=str(ticket.id), added=added)


def _adopt_earlier_root(ticket: Ticket, message: InboundEmailReceived) -> None:
    # A reply naming only its parent (In-Reply-To without References) that arrived first
    # opened the ticket with this message as its thread root. This message names an
    # earlier root, which the ticket takes over, so that the root still finds the ticket
    # when it arrives. The root and this message take the same thread lock, so they
    # never race each other.
    root = thread_root(message)
    if ticket.email_thread_id == message.message_id and root != message.message_id:
        log.info(
            "ticket thread root moved to an earlier message",
            ticket_id=str(ticket.id),
            from_root=ticket.email_thread_id,
            to_root=root,
        )
        ticket.email_thread_id = root


async def _set_aside(session: AsyncSession, message: InboundEmailReceived) -> None:
    statement = (
        insert(SetAsideReply)
        .values(
            message_id=index_key(message.message_id),
            raw_message_id=message.raw_message_id,
            sender=message.sender.address,
            subject=_storable(message.subject),
            reason=message.auto_submitted_reason or "",
            received_at=message.received_at,
        )
        .on_conflict_do_nothing(index_elements=[SetAsideReply.message_id])
    )
    await session.execute(statement)

    UNTHREADED_AUTOMATIC_REPLIES.inc()
    log.info(
        "automatic reply matched no ticket, set aside",
        reason=message.auto_submitted_reason,
        sender=message.sender.address,
    )


def _inbound_interaction(
    ticket_id: uuid.UUID, message: InboundEmailReceived, now: datetime
) -> Interaction:
    interaction = new_interaction(
        ticket_id,
        InteractionType.EMAIL_INBOUND,
        author=message.sender.address,
        text_body=_storable(message.text_body),
        now=now,
        html_body=_storable(message.html_body) if message.html_body is not None else None,
        message_id=message.message_id,
        email_from=address_json(message.sender),
        email_to=addresses_json(message.to),
        email_cc=addresses_json(message.cc),
        attachments=msgspec.to_builtins(message.attachments),
        raw_message_id=message.raw_message_id,
    )
    # Agents see automatic mail on the ticket, but the customer's portal does not show
    # their own auto-responder's messages back to them.
    if message.auto_submitted:
        interaction.customer_visible = False
    return interaction


def _index_inbound(
    session: AsyncSession, message: InboundEmailReceived, interaction: Interaction, now: datetime
) -> None:
    add_to_index(
        session,
        message.message_id,
        ticket_id=interaction.ticket_id,
        interaction_id=interaction.id,
        direction=Direction.INBOUND,
        now=now,
    )


def _storable(text: str) -> str:
    # PostgreSQL text cannot contain NUL characters.
    return text.replace("\x00", "")
