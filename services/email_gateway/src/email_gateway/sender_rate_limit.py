"""The per-sender rate limit of inbound mail, shared by every replica through PostgreSQL.

A sender that mails more than `rate_limit_messages` within `rate_limit_window_seconds`
is most likely a loop or a flood, so the excess is quarantined instead of opening
tickets. The count and the insert run under a transaction-scoped advisory lock on the
sender, so two replicas that take in mail from one sender at once count in turn.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from email_gateway.models import SenderMessage


async def admit_sender_message(
    session: AsyncSession,
    raw_id: uuid.UUID,
    sender: str,
    received_at: datetime,
    max_messages: int,
    window: timedelta,
) -> bool:
    """Count the message against its sender; return False when it exceeds the limit.

    A message counted before (a republished raw message) is admitted again.
    """
    sender = sender.lower()
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"email_gateway.sender_rate:{sender}"},
    )

    counted_before = await session.get(SenderMessage, raw_id)
    if counted_before is not None:
        return True

    window_start = received_at - window
    # Rows older than the window no longer count, so they are removed on the way.
    await session.execute(
        delete(SenderMessage)
        .where(SenderMessage.sender == sender)
        .where(SenderMessage.received_at < window_start)
    )
    recent = (
        await session.execute(
            select(func.count())
            .select_from(SenderMessage)
            .where(SenderMessage.sender == sender)
            .where(SenderMessage.received_at >= window_start)
        )
    ).scalar_one()
    if recent >= max_messages:
        return False

    await session.execute(
        insert(SenderMessage)
        .values(raw_message_id=raw_id, sender=sender, received_at=received_at)
        .on_conflict_do_nothing(index_elements=[SenderMessage.raw_message_id])
    )
    return True
