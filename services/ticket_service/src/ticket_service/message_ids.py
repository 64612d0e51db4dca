"""Message-IDs: the format of our own, and the index that maps every id to its ticket.

Our outbound ids read `ticket.<ticket id>.<interaction id>@<mail_domain>`, so a reply
still threads when the index lacks the id, for example after an older backup was
restored. Ids are stored without angle brackets
and compared exactly, as RFC 5322 section 3.6.4 treats them as opaque.
"""

import hashlib
import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticket_service.models import IndexedMessageId

# PostgreSQL rejects B-tree keys above about 2,700 bytes. RFC 5322 limits a line to 998
# characters, so longer ids come only from broken mail and are indexed by their digest.
MAX_PLAIN_KEY_LENGTH = 900

_OUR_FORMAT = re.compile(
    r"^ticket\.(?P<ticket>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"\.(?P<interaction>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"@(?P<domain>.+)$",
    re.IGNORECASE,
)


class Direction(StrEnum):
    """Whether an indexed id came in from a customer or went out from an agent."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


def outbound_message_id(ticket_id: uuid.UUID, interaction_id: uuid.UUID, mail_domain: str) -> str:
    """Return the Message-ID, without brackets, of an agent reply."""
    return f"ticket.{ticket_id}.{interaction_id}@{mail_domain}"


def ticket_id_from_our_format(message_id: str, mail_domain: str) -> uuid.UUID | None:
    """Return the ticket id inside one of our own Message-IDs, or None for any other id."""
    match = _OUR_FORMAT.match(message_id)
    if match is None or match.group("domain").lower() != mail_domain.lower():
        return None
    return uuid.UUID(match.group("ticket"))


def index_key(message_id: str) -> str:
    """Return the key under which `message_id` is stored in the index."""
    if len(message_id) <= MAX_PLAIN_KEY_LENGTH:
        return message_id
    digest = hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest}"


async def is_indexed(session: AsyncSession, message_id: str) -> bool:
    """Return whether `message_id` is already in the index."""
    found = await session.get(IndexedMessageId, index_key(message_id))
    return found is not None


async def tickets_by_message_id(
    session: AsyncSession, message_ids: Iterable[str]
) -> dict[str, uuid.UUID]:
    """Return the ticket id of every indexed id among `message_ids`, keyed by the id."""
    keys = {index_key(message_id): message_id for message_id in message_ids}
    if not keys:
        return {}

    rows = await session.execute(
        select(IndexedMessageId.message_id, IndexedMessageId.ticket_id).where(
            IndexedMessageId.message_id.in_(keys)
        )
    )
    return {keys[row.message_id]: row.ticket_id for row in rows}


def add_to_index(
    session: AsyncSession,
    message_id: str,
    *,
    ticket_id: uuid.UUID,
    interaction_id: uuid.UUID,
    direction: Direction,
    now: datetime,
) -> None:
    """Add `message_id` to the index in the session's transaction.

    The primary key makes a second insert of the same id fail at flush, so two
    consumers racing on one message cannot both record it.
    """
    session.add(
        IndexedMessageId(
            message_id=index_key(message_id),
            ticket_id=ticket_id,
            interaction_id=interaction_id,
            direction=direction.value,
            created_at=now,
        )
    )
