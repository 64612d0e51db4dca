"""Intake forms: the questions agents define for new tickets from the portal and web form."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Boolean, DateTime, Enum, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk_contracts.enums import TicketPriority
from ticket_service.models.base import Base


class IntakeFormRecord(Base):
    """A form definition; `fields` is the JSON list of `IntakeFormField` objects in order.

    A deactivated form is no longer offered, but tickets that were submitted with it keep
    pointing at it, so it is never deleted. The preset columns are applied to every ticket
    submitted with the form, after the routing rules.
    """

    __tablename__ = "intake_forms"
    __table_args__ = (Index("ix_intake_forms_active_name", "active", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    category: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[TicketPriority | None] = mapped_column(
        Enum(
            TicketPriority,
            name="intake_form_priority",
            native_enum=False,
            create_constraint=True,
            length=40,
            values_callable=lambda members: [member.value for member in members],
        )
    )
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
