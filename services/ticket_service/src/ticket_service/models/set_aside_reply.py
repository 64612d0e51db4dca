"""Automatic replies that matched no ticket and so opened none."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Index, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from ticket_service.models.base import Base


class SetAsideReply(Base):
    """An out-of-office or other automatic reply kept for agents instead of a ticket.

    `message_id` is the key from `ticket_service.message_ids.index_key`, so a redelivered
    message is recorded once. The raw message stays in email_gateway under
    `raw_message_id`.
    """

    __tablename__ = "set_aside_replies"
    __table_args__ = (Index("ix_set_aside_replies_received_at", "received_at"),)

    message_id: Mapped[str] = mapped_column(Text, primary_key=True)
    raw_message_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    sender: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
