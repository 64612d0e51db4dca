"""Tables of customer_service, all in the `customers` schema."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from helpdesk_runtime.idempotency import processed_messages_table
from helpdesk_runtime.outbox import outbox_table

SCHEMA = "customers"

metadata = MetaData(schema=SCHEMA)


class Base(DeclarativeBase):
    metadata = metadata


class Customer(Base):
    """An account: a company or person the support team serves."""

    __tablename__ = "customers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(300))
    tier: Mapped[str] = mapped_column(String(50), default="Standard")
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    # Whether senders at subdomains of the customer's domains (eu.acme.com for acme.com)
    # are linked to this customer too.
    include_subdomains: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    domains: Mapped[list["CustomerDomain"]] = relationship(
        back_populates="customer", lazy="selectin", cascade="all, delete-orphan"
    )


class CustomerDomain(Base):
    """An email domain whose senders belong to the customer (lower-case, unique)."""

    __tablename__ = "customer_domains"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(f"{SCHEMA}.customers.id"), index=True)

    customer: Mapped[Customer] = relationship(back_populates="domains")


class Contact(Base):
    """A person who writes to support, optionally belonging to a customer."""

    __tablename__ = "contacts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(300), default="")
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey(f"{SCHEMA}.customers.id"), nullable=True, index=True
    )
    phones: Mapped[list[str]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    # Portal visibility: the contact sees every ticket of its customer, not only its own.
    sees_all_customer_tickets: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    emails: Mapped[list["ContactEmail"]] = relationship(
        back_populates="contact", lazy="selectin", cascade="all, delete-orphan"
    )


class ContactEmail(Base):
    """An address of a contact; `address` is stored lower-case and unique."""

    __tablename__ = "contact_emails"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(f"{SCHEMA}.contacts.id"), index=True)

    contact: Mapped[Contact] = relationship(back_populates="emails")


class Tier(Base):
    """A customer tier that customers may be given; SLA policies are keyed by its name."""

    __tablename__ = "tiers"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OnboardingStep(Base):
    """One step of a customer's onboarding plan."""

    __tablename__ = "onboarding_steps"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'in_progress', 'done', 'skipped')",
            name="onboarding_step_status",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.customers.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TimeEntry(Base):
    """Minutes an agent spent for a customer or contact, optionally on one ticket."""

    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="time_entry_minutes_positive"),
        CheckConstraint(
            "customer_id IS NOT NULL OR contact_id IS NOT NULL", name="time_entry_has_account"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    minutes: Mapped[int] = mapped_column(Integer)
    agent: Mapped[str] = mapped_column(String(200))
    spent_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    billable: Mapped[bool] = mapped_column(Boolean, default=False)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey(f"{SCHEMA}.customers.id"), nullable=True, index=True
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey(f"{SCHEMA}.contacts.id"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TicketSummary(Base):
    """The latest known state of a ticket, built from ticket_service's events."""

    __tablename__ = "ticket_summaries"
    __table_args__ = (
        Index("ix_ticket_summaries_customer_activity", "customer_id", "last_activity_at"),
        Index("ix_ticket_summaries_contact_activity", "primary_contact_id", "last_activity_at"),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(30))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    primary_contact_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)


class ImportJob(Base):
    """A CSV import: its progress and the rows it rejected, readable from any replica."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint("kind IN ('customers', 'contacts')", name="import_job_kind"),
        CheckConstraint("status IN ('running', 'done', 'failed')", name="import_job_status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="running")
    total_rows: Mapped[int] = mapped_column(Integer)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    # [{"line": 7, "reason": "..."}, ...] in line order.
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


outbox = outbox_table(metadata)
processed_messages = processed_messages_table(metadata)
