"""Add the customer event stamp, the Cc list and the indexes of the agents' queue views.

Revision ID: c3a9e1f40004
Revises: b7d2c5e80003
Create Date: 2026-12-04 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c3a9e1f40004"
down_revision: str | None = "b7d2c5e80003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The statuses of the agents' queues. The queue indexes are partial on them, so they stay
# small (a few percent of all tickets) and list queries naming these statuses as
# constants use them (see ticket_service.listing).
OPEN_STATUSES = "status IN ('Open', 'In Progress', 'Pending', 'Waiting on Customer')"
DUE_DATE_OR_NONE = "coalesce(due_date, '9999-12-31 00:00:00+00'::timestamptz)"


def upgrade() -> None:
    op.add_column(
        "tickets",
        sa.Column("customer_event_at", sa.DateTime(timezone=True), nullable=True),
        schema="tickets",
    )
    op.add_column(
        "tickets",
        sa.Column(
            "cc_recipients",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        schema="tickets",
    )
    open_only = sa.text(OPEN_STATUSES)
    op.create_index(
        "ix_tickets_open_team_due",
        "tickets",
        ["assigned_team", sa.text(DUE_DATE_OR_NONE), "id"],
        schema="tickets",
        postgresql_where=open_only,
    )
    op.create_index(
        "ix_tickets_open_due",
        "tickets",
        [sa.text(DUE_DATE_OR_NONE), "id"],
        schema="tickets",
        postgresql_where=open_only,
    )
    op.create_index(
        "ix_tickets_open_created",
        "tickets",
        ["created_at", "id"],
        schema="tickets",
        postgresql_where=open_only,
    )
    op.create_index(
        "ix_tickets_open_assigned_to",
        "tickets",
        ["assigned_to"],
        schema="tickets",
        postgresql_using="gin",
        postgresql_where=open_only,
    )
    op.create_index(
        "ix_tickets_open_tags",
        "tickets",
        ["tags"],
        schema="tickets",
        postgresql_using="gin",
        postgresql_where=open_only,
    )


def downgrade() -> None:
    for name in (
        "ix_tickets_open_tags",
        "ix_tickets_open_assigned_to",
        "ix_tickets_open_created",
        "ix_tickets_open_due",
        "ix_tickets_open_team_due",
    ):
        op.drop_index(name, table_name="tickets", schema="tickets")
    op.drop_column("tickets", "cc_recipients", schema="tickets")
    op.drop_column("tickets", "customer_event_at", schema="tickets")
