"""Outcomes of given raw messages, so that a check can account for every delivered message."""

import uuid
from collections.abc import Iterable

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from email_gateway.models import RawMessage, RawStatus

# PostgreSQL's wire protocol allows at most 32767 parameters in one statement.
_CHUNK_SIZE = 5000


class RawMessageOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """The state of one raw message: its status, Message-ID and quarantine reason."""

    raw_message_id: uuid.UUID
    status: RawStatus
    message_id: str | None
    quarantine_reason: str | None


async def raw_message_outcomes(
    session: AsyncSession, raw_message_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, RawMessageOutcome]:
    """Return the outcome of each stored message among `raw_message_ids`.

    Ids without a stored message are missing from the result, so a caller finds lost
    messages by comparing keys.
    """
    ids = list(dict.fromkeys(raw_message_ids))
    if not ids:
        return {}

    outcomes: dict[uuid.UUID, RawMessageOutcome] = {}
    for start in range(0, len(ids), _CHUNK_SIZE):
        rows = await session.execute(
            select(
                RawMessage.id,
                RawMessage.status,
                RawMessage.message_id,
                RawMessage.quarantine_reason,
            ).where(RawMessage.id.in_(ids[start : start + _CHUNK_SIZE]))
        )
        for row in rows:
            outcomes[row.id] = RawMessageOutcome(
                raw_message_id=row.id,
                status=RawStatus(row.status),
                message_id=row.message_id,
                quarantine_reason=row.quarantine_reason,
            )
    return outcomes
