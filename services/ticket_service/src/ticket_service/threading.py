"""Finding the ticket an inbound message belongs to.

Lookups, in order, each tried only when the previous one found nothing:

1. The message's In-Reply-To ids, then its References newest first, in the index of every
   inbound and outbound Message-ID.
2. The same ids parsed as our own format, `ticket.<ticket id>.<interaction id>@<mail_domain>`,
   so a reply to one of our messages threads even when the index lacks that id.
3. A ticket whose thread root (`email_thread_id`) is one of those ids or the message's
   own id. This joins a message that arrives after a reply to it already opened a ticket.
4. A `[#<number>]` tag in the subject, but only when the sender already belongs to that
   ticket: the address is the ticket's `source_email` or the From of one of its inbound
   interactions. A stranger quoting another customer's ticket number opens a new ticket.

What happens on a match depends on the ticket's status:

- Open or In Progress: the message is appended and the status stays.
- Waiting on Customer, Pending or Resolved: the message is appended and the ticket
  moves back to Open (a Resolved ticket is reopened and loses its `resolved_at`).
- Closed: the ticket is final. The message goes to the newest follow-up of the Closed
  ticket that is not Closed itself, or else opens a new ticket linked to it by
  `follow_up_of`.
- Automatic mail (`auto_submitted`, such as out-of-office replies and delivery reports)
  never changes a status and never opens a follow-up: it is appended to the matched ticket,
  even a Closed one, and hidden from the customer.
- An automatic reply (`automatic_reply`, such as an out-of-office answer) that matches
  no ticket opens none; other automatic mail, such as a monitoring alert, does.

A ticket merged into another stands for the ticket it was merged into (followed through
repeated merges), before the status rules above apply.

No match opens a new ticket whose `email_thread_id` is the thread root (see `thread_root`).

NOTE: Outlook's Thread-Index header is not used yet, so a reply that carries only a
Thread-Index, without In-Reply-To, References or a matching subject tag, opens a new ticket.
"""

import uuid
import zlib
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType, TicketStatus
from helpdesk_contracts.messages import InboundEmailReceived
from ticket_service.mail_subjects import ticket_numbers_in
from ticket_service.message_ids import ticket_id_from_our_format, tickets_by_message_id
from ticket_service.models import Interaction, Ticket
from ticket_service.tickets import lock_ticket

# The two-key form of advisory locks has its own key space (PostgreSQL documents that it
# does not overlap the one-key form), and this first key keeps thread locks apart from
# any other two-key lock.
_THREAD_LOCK_SPACE = zlib.crc32(b"ticket_service:thread") & 0x7FFFFFFF

# A chain of follow-ups longer than this is followed no further; the last one is used.
_MAX_FOLLOW_UPS = 20


@dataclass(frozen=True)
class ThreadMatch:
    """The destination of an inbound message.

    `ticket` is the ticket to append to, or None to open a new ticket. `follow_up_of`
    is the Closed ticket that a new ticket follows up, and `matched_by` names the lookup
    that found the thread.
    """

    ticket: Ticket | None
    follow_up_of: Ticket | None
    matched_by: str


def thread_root(message: InboundEmailReceived) -> str:
    """Return the Message-ID of the first message of the thread, as far as known.

    That is the first References id, else the first In-Reply-To id (some clients set
    only In-Reply-To), else the message's own id.
    """
    if message.references:
        return message.references[0]
    if message.in_reply_to:
        return message.in_reply_to[0]
    return message.message_id


async def lock_thread(session: AsyncSession, root: str) -> None:
    """Serialise the handling of messages of one thread until the transaction ends.

    Two replicas handling two messages of a new thread at once would otherwise both
    find no ticket and open two.
    """
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:root))"),
        {"space": _THREAD_LOCK_SPACE, "root": root},
    )


def referenced_ids(message: InboundEmailReceived) -> list[str]:
    """Return In-Reply-To ids, then References newest first, without repeats."""
    ordered: dict[str, None] = {}
    for message_id in (*message.in_reply_to, *reversed(message.references)):
        ordered.setdefault(message_id, None)
    return list(ordered)


async def find_thread(
    session: AsyncSession, message: InboundEmailReceived, mail_domain: str
) -> ThreadMatch:
    """Decide which ticket `message` belongs to, following the module's rules."""
    ids = referenced_ids(message)
    ticket, matched_by = await _matched_ticket(session, message, ids, mail_domain)
    if ticket is None:
        return ThreadMatch(ticket=None, follow_up_of=None, matched_by="none")

    ticket = await _follow_merges(session, ticket)
    # Locked before its status is read, so an agent closing it meanwhile is seen here.
    ticket = await lock_ticket(session, ticket.id)
    if ticket.status is not TicketStatus.CLOSED or message.auto_submitted:
        return ThreadMatch(ticket=ticket, follow_up_of=None, matched_by=matched_by)

    return await _route_past_closed(session, ticket, matched_by)


async def _matched_ticket(
    session: AsyncSession, message: InboundEmailReceived, ids: list[str], mail_domain: str
) -> tuple[Ticket | None, str]:
    indexed = await tickets_by_message_id(session, ids)
    for message_id in ids:
        if message_id in indexed:
            return await session.get(Ticket, indexed[message_id]), "message-id index"

    for message_id in ids:
        ticket_id = ticket_id_from_our_format(message_id, mail_domain)
        if ticket_id is None:
            continue
        ticket = await session.get(Ticket, ticket_id)
        if ticket is not None:
            return ticket, "own message-id format"

    by_root = await _newest_ticket_with_root(session, [*ids, message.message_id])
    if by_root is not None:
        return by_root, "thread root"

    tagged = await _tagged_ticket_of_sender(session, message)
    if tagged is not None:
        return tagged, "subject tag"
    return None, "none"


async def _newest_ticket_with_root(session: AsyncSession, ids: list[str]) -> Ticket | None:
    result = await session.scalars(
        select(Ticket)
        .where(Ticket.email_thread_id.in_(ids))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return result.first()


async def _tagged_ticket_of_sender(
    session: AsyncSession, message: InboundEmailReceived
) -> Ticket | None:
    sender = message.sender.address.strip().lower()
    for number in ticket_numbers_in(message.subject):
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
        if ticket is not None and await sender_belongs_to(session, ticket, sender):
            return ticket
    return None


async def sender_belongs_to(session: AsyncSession, ticket: Ticket, sender: str) -> bool:
    """Return whether the lower-cased address `sender` already wrote on `ticket`."""
    if ticket.source_email is not None and ticket.source_email.strip().lower() == sender:
        return True

    from_address = func.lower(Interaction.email_from["address"].astext)
    found = await session.scalar(
        select(Interaction.id)
        .where(Interaction.ticket_id == ticket.id)
        .where(Interaction.type == InteractionType.EMAIL_INBOUND)
        .where(from_address == sender)
        .limit(1)
    )
    return found is not None


async def _follow_merges(session: AsyncSession, ticket: Ticket) -> Ticket:
    # A merged ticket's messages live on the ticket it was merged into, which may
    # itself have been merged later.
    for _ in range(_MAX_FOLLOW_UPS):
        if ticket.merged_into is None:
            return ticket
        target = await session.get(Ticket, ticket.merged_into)
        if target is None:
            return ticket
        ticket = target
    return ticket


async def _route_past_closed(session: AsyncSession, closed: Ticket, matched_by: str) -> ThreadMatch:
    newest_closed = closed
    for _ in range(_MAX_FOLLOW_UPS):
        follow_up = await _newest_follow_up(session, newest_closed.id)
        if follow_up is None:
            break
        follow_up = await lock_ticket(session, follow_up.id)
        if follow_up.status is not TicketStatus.CLOSED:
            return ThreadMatch(ticket=follow_up, follow_up_of=None, matched_by=matched_by)
        newest_closed = follow_up

    return ThreadMatch(ticket=None, follow_up_of=newest_closed, matched_by=matched_by)


async def _newest_follow_up(session: AsyncSession, ticket_id: uuid.UUID) -> Ticket | None:
    result = await session.scalars(
        select(Ticket)
        .where(Ticket.follow_up_of == ticket_id)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    return result.first()
