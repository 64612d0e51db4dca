"""Keep automatic replies that matched no ticket.

Revision ID: e5f9a3b20006
Revises: d4e8f2a10005
Create Date: 2026-12-05 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5f9a3b20006"
down_revision: str | None = "d4e8f2a10005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "set_aside_replies",
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("raw_message_id", sa.Uuid(), nullable=False),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id"),
        schema="tickets",
    )
    op.create_index(
        "ix_set_aside_replies_received_at",
        "set_aside_replies",
        ["received_at"],
        unique=False,
        schema="tickets",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_set_aside_replies_received_at", table_name="set_aside_replies", schema="tickets"
    )
    op.drop_table("set_aside_replies", schema="tickets")
