"""The audit history: one row per changed field of a ticket."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ticket_service.models.base import SCHEMA, Base


class AuditEntry(Base):
    """A field of a ticket changed from `old_value` to `new_value`, both stored as JSON.

    JSON null stands for an unset value; lists, enums, ids and datetimes are stored in
    their JSON forms (lists, enum values, strings, ISO 8601 strings).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_ticket_id_at", "ticket_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(f"{SCHEMA}.tickets.id"))
    actor: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(Text)
    old_value: Mapped[Any] = mapped_column(JSONB(none_as_null=True), nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONB(none_as_null=True), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
