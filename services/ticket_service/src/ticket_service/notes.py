"""Notes, calls, meetings and SMS that agents record on a ticket; no email is sent."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import InteractionType
from helpdesk_runtime.logging import get_logger
from ticket_service import events
from ticket_service.interactions import append_interaction, new_interaction
from ticket_service.mentions import announce_mentions
from ticket_service.models import Interaction, Ticket
from ticket_service.preconditions import IfMatch
from ticket_service.tickets import lock_ticket, utc_now

log = get_logger(__name__)

NOTE_TYPES = frozenset(
    {
        InteractionType.NOTE,
        InteractionType.INTERNAL_NOTE,
        InteractionType.PHONE_CALL,
        InteractionType.MEETING,
        InteractionType.SMS,
    }
)


@dataclass(frozen=True)
class NoteRequest:
    """A note as the API received it; `note_type` is one of `NOTE_TYPES`."""

    ticket_id: uuid.UUID
    note_type: InteractionType
    text: str
    author: str
    if_match: IfMatch | None
    correlation_id: str


async def add_note(session: AsyncSession, request: NoteRequest) -> tuple[Ticket, Interaction]:
    """Append the note to the ticket and announce it; the caller commits."""
    if request.note_type not in NOTE_TYPES:
        raise ValueError(f"{request.note_type} is not a note type")

    ticket = await lock_ticket(session, request.ticket_id)
    if request.if_match is not None:
        request.if_match.check(ticket.version)

    now = utc_now()
    interaction = new_interaction(
        ticket.id, request.note_type, author=request.author, text_body=request.text, now=now
    )
    await append_interaction(session, ticket, interaction, now)
    await session.flush()
    await events.interaction_added(session, ticket, interaction, request.correlation_id)
    if request.note_type is InteractionType.INTERNAL_NOTE:
        await announce_mentions(session, ticket, interaction, request.correlation_id)

    log.info(
        "note added",
        ticket_id=str(ticket.id),
        interaction_id=str(interaction.id),
        type=request.note_type.value,
    )
    return ticket, interaction
