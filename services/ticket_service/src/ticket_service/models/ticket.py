"""The ticket row: the single view an agent reads, including seed fields owned elsewhere."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk_contracts.enums import TicketPriority, TicketSource, TicketStatus
from ticket_service.models.base import SCHEMA, Base, ticket_number_seq


def _enum_column(enum_type: type[TicketStatus | TicketPriority | TicketSource], name: str) -> Enum:
    # Stored as the enum values ("In Progress", not "IN_PROGRESS") in a VARCHAR with a
    # CHECK constraint, so adding a value needs no ALTER TYPE.
    return Enum(
        enum_type,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=40,
        values_callable=lambda members: [member.value for member in members],
    )


# The open statuses and the due-date sort key as the queue indexes spell them;
# ticket_service.listing writes the same constants into its queries.
_OPEN_STATUSES = "status IN ('Open', 'In Progress', 'Pending', 'Waiting on Customer')"
_DUE_DATE_OR_NONE = "coalesce(due_date, '9999-12-31 00:00:00+00'::timestamptz)"


class Ticket(Base):
    """A customer request and its state.

    `version` grows by one on every change, including every interaction added, so events
    carry it and consumers can ignore stale ones. `due_date` and `first_response_due`
    come from sla_service; contact and customer fields come from customer_service.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_created_at_id", "created_at", "id"),
        Index("ix_tickets_status", "status"),
        Index("ix_tickets_customer_id", "customer_id"),
        # A hash index has no key-size limit, and real Message-IDs can be very long.
        Index("ix_tickets_email_thread_id", "email_thread_id", postgresql_using="hash"),
        Index(
            "ix_tickets_enrichment_pending",
            "created_at",
            postgresql_where=text("enrichment_pending"),
        ),
        Index("ix_tickets_follow_up_of", "follow_up_of"),
        Index("ix_tickets_updated_at_id", "updated_at", "id"),
        Index("ix_tickets_assigned_to", "assigned_to", postgresql_using="gin"),
        Index("ix_tickets_tags", "tags", postgresql_using="gin"),
        Index(
            "ix_tickets_resolved_for_auto_close",
            "resolved_at",
            postgresql_where=text("status = 'Resolved'"),
        ),
        # The portal lists a contact's or a customer's tickets, newest activity first.
        Index("ix_tickets_primary_contact_updated", "primary_contact_id", "updated_at", "id"),
        Index("ix_tickets_contact_ids", "contact_ids", postgresql_using="gin"),
        Index("ix_tickets_customer_updated", "customer_id", "updated_at", "id"),
        # The agents' queues: open tickets of a team or of everyone by due date, oldest
        # first, by assignee and by tag. Partial, so they cover a few percent of the rows.
        Index(
            "ix_tickets_open_team_due",
            "assigned_team",
            text(_DUE_DATE_OR_NONE),
            "id",
            postgresql_where=text(_OPEN_STATUSES),
        ),
        Index(
            "ix_tickets_open_due",
            text(_DUE_DATE_OR_NONE),
            "id",
            postgresql_where=text(_OPEN_STATUSES),
        ),
        Index(
            "ix_tickets_open_created",
            "created_at",
            "id",
            postgresql_where=text(_OPEN_STATUSES),
        ),
        Index(
            "ix_tickets_open_assigned_to",
            "assigned_to",
            postgresql_using="gin",
            postgresql_where=text(_OPEN_STATUSES),
        ),
        Index(
            "ix_tickets_open_tags",
            "tags",
            postgresql_using="gin",
            postgresql_where=text(_OPEN_STATUSES),
        ),
        Index(
            "ix_tickets_subject_search",
            text("to_tsvector('english', subject)"),
            postgresql_using="gin",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(
        BigInteger, server_default=ticket_number_seq.next_value(), unique=True
    )
    subject: Mapped[str] = mapped_column(Text)
    status: Mapped[TicketStatus] = mapped_column(_enum_column(TicketStatus, "ticket_status"))
    priority: Mapped[TicketPriority] = mapped_column(
        _enum_column(TicketPriority, "ticket_priority"), default=TicketPriority.MEDIUM
    )
    source: Mapped[TicketSource] = mapped_column(_enum_column(TicketSource, "ticket_source"))
    # Text, not VARCHAR(320): malformed mail can carry longer addresses and must still be stored.
    source_email: Mapped[str | None] = mapped_column(Text)
    email_thread_id: Mapped[str | None] = mapped_column(Text)
    follow_up_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(f"{SCHEMA}.tickets.id"))
    merged_into: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(f"{SCHEMA}.tickets.id"))

    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    customer_name: Mapped[str | None] = mapped_column(String(300))
    customer_tier: Mapped[str | None] = mapped_column(String(50))
    contact_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    primary_contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    enrichment_pending: Mapped[bool] = mapped_column(default=False)

    assigned_to: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    assigned_team: Mapped[str | None] = mapped_column(String(200))
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    category: Mapped[str | None] = mapped_column(String(200))

    due_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_response_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sla_ticket_version: Mapped[int | None] = mapped_column(Integer)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sla_breach_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # `occurred_at` of the newest customer_service event applied to the customer fields;
    # an older event delivered later is stale and skipped.
    customer_event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # People Cc'd on the thread, as JSON objects {"address", "name"}; agent replies Cc
    # them (see ticket_service.participants).
    cc_recipients: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )

    # The intake form the ticket was submitted with, and its answers by field key.
    form_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(f"{SCHEMA}.intake_forms.id"))
    form_values: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
