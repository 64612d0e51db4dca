"""Tables of email_gateway, all in the `email_gateway` schema."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from helpdesk_runtime.outbox import outbox_table

SCHEMA = "email_gateway"

metadata = MetaData(schema=SCHEMA)


class Base(DeclarativeBase):
    metadata = metadata


class RawStatus(StrEnum):
    """The processing state of a stored inbound message.

    `received` is stored but not yet published: the republisher picks such rows up when
    they stay in that state. `duplicate` was published, but JetStream had already
    stored an event for the same Message-ID from another raw message. `bounce` is a
    delivery status notification matched to an outbound delivery, `bounce_unmatched` one
    that matched none; neither is published as inbound mail.
    """

    RECEIVED = "received"
    PUBLISHED = "published"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    BOUNCE = "bounce"
    BOUNCE_UNMATCHED = "bounce_unmatched"


class DeliveryStatus(StrEnum):
    """The delivery state of an outbound message; `pending` ones are retried after a failure."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class RawMessage(Base):
    """The bytes of one inbound message exactly as the SMTP client sent them after DATA."""

    __tablename__ = "raw_messages"
    __table_args__ = (
        CheckConstraint(
            "status IN ('received', 'published', 'duplicate', 'quarantined', 'bounce', "
            "'bounce_unmatched')",
            name="ck_raw_messages_status",
        ),
        Index(
            "ix_raw_messages_unpublished",
            "received_at",
            postgresql_where=text("status = 'received'"),
        ),
        # A hash index, because a Message-ID can be longer than a B-tree entry may be.
        Index("ix_raw_messages_message_id", "message_id", postgresql_using="hash"),
        Index(
            "ix_raw_messages_quarantined",
            "received_at",
            postgresql_where=text("status = 'quarantined'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    raw: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    envelope_from: Mapped[str] = mapped_column(Text)
    envelope_recipients: Mapped[list[str]] = mapped_column(ARRAY(Text))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    message_id: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=RawStatus.RECEIVED.value)
    quarantine_reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboundDelivery(Base):
    """The delivery state of one agent reply; one row per interaction, so it is sent once."""

    __tablename__ = "outbound_deliveries"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name="ck_outbound_deliveries_status"
        ),
        # Bounces are matched by the Message-ID of the returned copy.
        Index("ix_outbound_deliveries_message_id", "message_id", postgresql_using="hash"),
    )

    interaction_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[uuid.UUID] = mapped_column(index=True)
    message_id: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SenderMessage(Base):
    """One inbound message counted against its sender's rate limit.

    Kept in PostgreSQL so that every replica of the gateway counts the same messages.
    Keyed by the raw message, so a message published again is counted once.
    """

    __tablename__ = "sender_messages"
    __table_args__ = (Index("ix_sender_messages_sender_received", "sender", "received_at"),)

    raw_message_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


outbox = outbox_table(metadata)
