"""Interactions: the messages, calls and notes on a ticket, oldest first."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Enum, ForeignKey, Index, Text, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk_contracts.enums import InteractionType
from ticket_service.models.base import SCHEMA, Base


class Interaction(Base):
    """One entry on a ticket.

    `customer_visible` is fixed at creation from the contracts' visibility table. The
    email columns are set on `EMAIL_INBOUND` and `EMAIL_OUTBOUND` entries only: `message_id`
    without angle brackets, addresses as JSON objects `{"address", "name"}`.
    """

    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_ticket_id_created_at", "ticket_id", "created_at"),
        Index(
            "ix_interactions_text_search",
            text("to_tsvector('english', text_body)"),
            postgresql_using="gin",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(f"{SCHEMA}.tickets.id"))
    type: Mapped[InteractionType] = mapped_column(
        Enum(
            InteractionType,
            name="interaction_type",
            native_enum=False,
            create_constraint=True,
            length=40,
            values_callable=lambda members: [member.value for member in members],
        )
    )
    author: Mapped[str] = mapped_column(Text)
    customer_visible: Mapped[bool]
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    message_id: Mapped[str | None] = mapped_column(Text)
    email_from: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    email_to: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    email_cc: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    raw_message_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
