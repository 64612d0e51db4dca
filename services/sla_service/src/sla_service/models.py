"""Tables of sla_service, all in the `sla` schema."""

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from helpdesk_runtime.idempotency import processed_messages_table
from helpdesk_runtime.outbox import outbox_table

SCHEMA = "sla"

metadata = MetaData(schema=SCHEMA)


class Base(DeclarativeBase):
    metadata = metadata


class SlaPolicy(Base):
    """Response and resolution targets, in minutes, for one customer tier and priority.

    A NULL `tier` is the fallback row for tickets whose customer tier is unknown or has
    no row of its own. A NULL target means the policy sets no due time for it.
    """

    __tablename__ = "sla_policies"
    __table_args__ = (
        # NULLS NOT DISTINCT (PostgreSQL 15 or later) allows one fallback row per priority.
        UniqueConstraint(
            "tier",
            "priority",
            name="uq_sla_policies_tier_priority",
            postgresql_nulls_not_distinct=True,
        ),
        CheckConstraint(
            "first_response_minutes IS NULL OR first_response_minutes > 0",
            name="ck_sla_policies_first_response_positive",
        ),
        CheckConstraint(
            "resolution_minutes IS NULL OR resolution_minutes > 0",
            name="ck_sla_policies_resolution_positive",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    tier: Mapped[str | None] = mapped_column(String(50))
    priority: Mapped[str] = mapped_column(String(20))
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class SlaTarget(Base):
    """The due times of one ticket and whether its first response and resolution met them.

    `tier` is the customer tier the ticket carried, which may differ from the policy's
    tier when the fallback row applied. `ticket_version` is the ticket version of the
    latest creation or status event applied, so older status events can be ignored.
    """

    __tablename__ = "sla_targets"
    __table_args__ = (Index("ix_sla_targets_started_at", "started_at"),)

    ticket_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey(f"{SCHEMA}.sla_policies.id", ondelete="SET NULL")
    )
    tier: Mapped[str | None] = mapped_column(String(50))
    priority: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    first_response_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_response_met: Mapped[bool | None]
    resolution_met: Mapped[bool | None]
    computed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    ticket_version: Mapped[int] = mapped_column(Integer)


outbox = outbox_table(metadata)
processed_messages = processed_messages_table(metadata)
