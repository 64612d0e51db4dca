"""Reading and writing rows of `raw_messages`; callers own the transaction.

A raw message is unique by the SHA-256 of its bytes. The same bytes delivered again,
by an SMTP client retrying after a 451 or by a sender resending the same file, find the
row of the first delivery instead of adding a second one.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from email_gateway.models import RawMessage, RawStatus


@dataclass(frozen=True)
class StoredRaw:
    """A raw message row with its bytes; `created` is true when this call inserted it."""

    id: uuid.UUID
    raw: bytes
    sha256: str
    envelope_from: str
    envelope_recipients: tuple[str, ...]
    received_at: datetime
    status: RawStatus
    message_id: str | None
    quarantine_reason: str | None
    created: bool


def storable(value: str) -> str:
    """Return `value` without what PostgreSQL text cannot contain: NUL and lone surrogates."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


async def store_raw(
    session: AsyncSession, raw: bytes, envelope_from: str, envelope_recipients: list[str]
) -> StoredRaw:
    """Insert `raw` in the `received` state, or return the row that has the same bytes."""
    sha256 = hashlib.sha256(raw).hexdigest()
    inserted = (
        await session.execute(
            insert(RawMessage)
            .values(
                id=uuid.uuid4(),
                sha256=sha256,
                size=len(raw),
                raw=raw,
                envelope_from=storable(envelope_from),
                envelope_recipients=[storable(address) for address in envelope_recipients],
                status=RawStatus.RECEIVED.value,
            )
            .on_conflict_do_nothing(index_elements=[RawMessage.sha256])
            .returning(RawMessage.id, RawMessage.received_at)
        )
    ).first()

    if inserted is not None:
        return StoredRaw(
            id=inserted.id,
            raw=raw,
            sha256=sha256,
            envelope_from=envelope_from,
            envelope_recipients=tuple(envelope_recipients),
            received_at=inserted.received_at,
            status=RawStatus.RECEIVED,
            message_id=None,
            quarantine_reason=None,
            created=True,
        )

    existing = (
        await session.execute(select(RawMessage).where(RawMessage.sha256 == sha256))
    ).scalar_one()
    return _stored(existing, raw, created=False)


async def unpublished_before(
    session: AsyncSession, received_before: datetime, limit: int
) -> list[StoredRaw]:
    """Return rows still `received` that arrived before `received_before`, oldest first."""
    rows = (
        await session.execute(
            select(RawMessage)
            .where(RawMessage.status == RawStatus.RECEIVED.value)
            .where(RawMessage.received_at < received_before)
            .order_by(RawMessage.received_at)
            .limit(limit)
            .options(undefer(RawMessage.raw))
        )
    ).scalars()
    return [_stored(row, row.raw, created=False) for row in rows]


async def record_message_id(session: AsyncSession, raw_id: uuid.UUID, message_id: str) -> None:
    """Store the Message-ID the parser found or generated, before the outcome is known."""
    await session.execute(
        update(RawMessage).where(RawMessage.id == raw_id).values(message_id=storable(message_id))
    )


async def mark_quarantined(
    session: AsyncSession, raw_id: uuid.UUID, reason: str, message_id: str | None = None
) -> None:
    """Record that the message cannot become a ticket, and why."""
    await session.execute(
        update(RawMessage)
        .where(RawMessage.id == raw_id)
        .values(
            status=RawStatus.QUARANTINED.value,
            quarantine_reason=storable(reason),
            message_id=storable(message_id) if message_id is not None else None,
        )
    )


async def mark_bounce(
    session: AsyncSession, raw_id: uuid.UUID, status: RawStatus, message_id: str
) -> None:
    """Record that the message is a bounce (`bounce` or `bounce_unmatched`), never a ticket."""
    await session.execute(
        update(RawMessage)
        .where(RawMessage.id == raw_id)
        .values(status=status.value, message_id=storable(message_id))
    )


async def mark_published(
    session: AsyncSession, raw_id: uuid.UUID, message_id: str, status: RawStatus
) -> None:
    """Record that JetStream acknowledged the event of the message (`published` or `duplicate`)."""
    await session.execute(
        update(RawMessage)
        .where(RawMessage.id == raw_id)
        .values(
            status=status.value, message_id=storable(message_id), published_at=datetime.now(UTC)
        )
    )


async def published_by_another(session: AsyncSession, raw_id: uuid.UUID, message_id: str) -> bool:
    """Return whether a different raw message with this Message-ID was already published."""
    query = select(
        exists()
        .where(RawMessage.message_id == storable(message_id))
        .where(RawMessage.id != raw_id)
        .where(RawMessage.status == RawStatus.PUBLISHED.value)
    )
    return bool((await session.execute(query)).scalar())


def _stored(row: RawMessage, raw: bytes, *, created: bool) -> StoredRaw:
    return StoredRaw(
        id=row.id,
        raw=raw,
        sha256=row.sha256,
        envelope_from=row.envelope_from,
        envelope_recipients=tuple(row.envelope_recipients),
        received_at=row.received_at,
        status=RawStatus(row.status),
        message_id=row.message_id,
        quarantine_reason=row.quarantine_reason,
        created=created,
    )
