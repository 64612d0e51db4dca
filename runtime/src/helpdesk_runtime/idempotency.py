"""Idempotent consumers: a processed-message table claimed in the handler's transaction."""

import uuid

from sqlalchemy import Column, DateTime, MetaData, String, Table, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


def processed_messages_table(metadata: MetaData) -> Table:
    """Define the table of messages a consumer has already handled."""
    return Table(
        "processed_messages",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("message_id", String(200), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def claim_message(
    session: AsyncSession, table: Table, consumer: str, message_id: str | uuid.UUID
) -> bool:
    """Record that `consumer` handles `message_id`; return False if it already did.

    The row is written in the handler's transaction, so a handler that fails leaves no
    claim behind and the redelivered message is handled again.
    """
    result = await session.execute(
        insert(table)
        .values(consumer=consumer, message_id=str(message_id))
        .on_conflict_do_nothing()
        .returning(table.c.message_id)
    )
    return result.first() is not None
