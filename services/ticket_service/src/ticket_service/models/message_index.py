"""The index of every inbound and outbound Message-ID, pointing at its ticket."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ticket_service.models.base import SCHEMA, Base


class IndexedMessageId(Base):
    """A Message-ID seen on a ticket, in either direction.

    `message_id` is the key from `ticket_service.message_ids.index_key`: the id itself,
    or a digest of it when it is too long for a B-tree key. A row per inbound id also
    makes inbound handling idempotent, because an indexed id is a duplicate.
    """

    __tablename__ = "message_ids"
    __table_args__ = (Index("ix_message_ids_ticket_id", "ticket_id"),)

    message_id: Mapped[str] = mapped_column(Text, primary_key=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(f"{SCHEMA}.tickets.id"))
    interaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(f"{SCHEMA}.interactions.id"))
    direction: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
