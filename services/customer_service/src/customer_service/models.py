"""Tables of customer_service, all in the `customers` schema."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, MetaData, String, func
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    domains: Mapped[list["CustomerDomain"]] = relationship(
        back_populates="customer", lazy="selectin", cascade="all, delete-orphan"
    )


class CustomerDomain(Base):
    """An email domain whose senders belong to the customer (lower-case, unique)."""

    __tablename__ = "customer_domains"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(f"{SCHEMA}.customers.id"))

    customer: Mapped[Customer] = relationship(back_populates="domains")


class Contact(Base):
    """A person who writes to support, optionally belonging to a customer."""

    __tablename__ = "contacts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(300), default="")
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey(f"{SCHEMA}.customers.id"), nullable=True
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


outbox = outbox_table(metadata)
processed_messages = processed_messages_table(metadata)
