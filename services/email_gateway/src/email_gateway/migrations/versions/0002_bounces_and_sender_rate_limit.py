"""Add bounce states to raw messages, the sender rate-limit table and a Message-ID index.

Revision ID: 01e01cb66016
Revises: a44edeec6c75
Create Date: 2026-12-04 21:44:05.976627
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "01e01cb66016"
down_revision: str | None = "a44edeec6c75"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "email_gateway"


def upgrade() -> None:
    op.drop_constraint("ck_raw_messages_status", "raw_messages", schema=SCHEMA, type_="check")
    op.create_check_constraint(
        "ck_raw_messages_status",
        "raw_messages",
        "status IN ('received', 'published', 'duplicate', 'quarantined', 'bounce', "
        "'bounce_unmatched')",
        schema=SCHEMA,
    )

    op.create_table(
        "sender_messages",
        sa.Column("raw_message_id", sa.Uuid(), nullable=False),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("raw_message_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_sender_messages_sender_received",
        "sender_messages",
        ["sender", "received_at"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_outbound_deliveries_message_id",
        "outbound_deliveries",
        ["message_id"],
        schema=SCHEMA,
        postgresql_using="hash",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_outbound_deliveries_message_id", table_name="outbound_deliveries", schema=SCHEMA
    )
    op.drop_index("ix_sender_messages_sender_received", table_name="sender_messages", schema=SCHEMA)
    op.drop_table("sender_messages", schema=SCHEMA)

    op.drop_constraint("ck_raw_messages_status", "raw_messages", schema=SCHEMA, type_="check")
    op.create_check_constraint(
        "ck_raw_messages_status",
        "raw_messages",
        "status IN ('received', 'published', 'duplicate', 'quarantined')",
        schema=SCHEMA,
    )
