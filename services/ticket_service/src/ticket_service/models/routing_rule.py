"""Routing rules: conditions on a new ticket and the fields they set."""

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, DateTime, Enum, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk_contracts.enums import TicketPriority
from ticket_service.models.base import Base


class RoutingRule(Base):
    """A rule that matches when every condition it sets holds; a null condition matches all.

    `subject_keywords` matches when any keyword occurs in the subject, ignoring case.
    """

    __tablename__ = "routing_rules"
    __table_args__ = (Index("ix_routing_rules_position_id", "position", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)

    recipient: Mapped[str | None] = mapped_column(Text)
    customer_tier: Mapped[str | None] = mapped_column(String(50))
    subject_keywords: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    category: Mapped[str | None] = mapped_column(String(200))

    set_team: Mapped[str | None] = mapped_column(String(200))
    set_priority: Mapped[TicketPriority | None] = mapped_column(
        Enum(
            TicketPriority,
            name="routing_rule_priority",
            native_enum=False,
            create_constraint=True,
            length=40,
            values_callable=lambda members: [member.value for member in members],
        )
    )
    set_category: Mapped[str | None] = mapped_column(String(200))
    add_tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
