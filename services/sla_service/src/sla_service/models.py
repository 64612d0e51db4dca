"""Tables of sla_service, all in the `sla` schema."""

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from helpdesk_runtime.idempotency import processed_messages_table
from helpdesk_runtime.outbox import outbox_table

SCHEMA = "sla"

metadata = MetaData(schema=SCHEMA)


class Base(DeclarativeBase):
    metadata = metadata


class SlaCalendar(Base):
    """A business calendar: weekly opening hours in an IANA time zone and closed dates.

    `weekly_hours` maps "mon".."sun" to lists of ["HH:MM", "HH:MM"] intervals;
    `holiday_dates` lists ISO dates; `holiday_country` adds that country's public
    holidays. `always_open` makes it 24/7. See `business_calendar`.
    """

    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    weekly_hours: Mapped[dict[str, list[list[str]]]] = mapped_column(JSONB)
    holiday_dates: Mapped[list[str]] = mapped_column(JSONB)
    holiday_country: Mapped[str | None] = mapped_column(String(10))
    always_open: Mapped[bool] = mapped_column(Boolean, server_default="false")


class SlaPolicy(Base):
    """Response and resolution targets, in minutes, for one customer tier and priority.

    A NULL `tier` is the fallback row for tickets whose customer tier is unknown or has
    no row of its own. `team`, `category` and `source` narrow the policy to tickets with
    that value, NULL matching any (see `policies.find_policy` for the order). A NULL
    target means the policy sets no due time for it.
    """

    __tablename__ = "sla_policies"
    __table_args__ = (
        # NULLS NOT DISTINCT (PostgreSQL 15 or later) allows one fallback row per priority.
        UniqueConstraint(
            "tier",
            "priority",
            "team",
            "category",
            "source",
            name="uq_sla_policies_match",
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
    team: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(20))
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    # NULL means 24/7, the behaviour before calendars existed.
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            f"{SCHEMA}.calendars.id", ondelete="SET NULL", name="fk_sla_policies_calendar_id"
        )
    )
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
    team: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(20))
    # The category the ticket had when it was created (routing rules may set it).
    # NOTE: a category changed later does not pick the policy again.
    category: Mapped[str | None] = mapped_column(String(200))
    # Business minutes the resolution clock spent paused in closed pauses; the resolution
    # due time is that much later than the policy alone makes it.
    paused_minutes: Mapped[int] = mapped_column(Integer, server_default="0")
    # Business minutes from start to the first response and to the resolution (pauses
    # excluded), in the policy's calendar, stored when recorded so reports can take medians.
    first_response_business_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_business_minutes: Mapped[int | None] = mapped_column(Integer)


class SlaPause(Base):
    """A span in Pending or Waiting on Customer, during which the resolution clock stops.

    `ended_at` is NULL while the ticket is still paused.
    """

    __tablename__ = "sla_pauses"
    __table_args__ = (Index("ix_sla_pauses_ticket_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.sla_targets.ticket_id", ondelete="CASCADE")
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    business_minutes: Mapped[int | None] = mapped_column(Integer)


class SlaTimer(Base):
    """A moment at which the scheduler announces a target: a warning or the breach.

    `fraction` is 1.0 for the breach and below 1 for a warning. `state` is pending,
    fired or cancelled; a fired timer never fires again, which makes each event once.
    """

    __tablename__ = "sla_timers"
    __table_args__ = (
        UniqueConstraint("ticket_id", "target", "fraction", name="uq_sla_timers_ticket_target"),
        CheckConstraint("state IN ('pending', 'fired', 'cancelled')", name="ck_sla_timers_state"),
        # The scheduler reads only pending timers by due time, so its cost follows the
        # number due, not the number stored.
        Index(
            "ix_sla_timers_pending_due_at",
            "due_at",
            postgresql_where=text("state = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    ticket_id: Mapped[uuid.UUID]
    target: Mapped[str] = mapped_column(String(20))
    fraction: Mapped[float] = mapped_column(Float)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    target_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(10), server_default="pending")
    fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


outbox = outbox_table(metadata)
processed_messages = processed_messages_table(metadata)
