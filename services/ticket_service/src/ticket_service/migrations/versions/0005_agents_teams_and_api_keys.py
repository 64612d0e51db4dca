"""Add agents, teams, team members and the agents' API keys.

Revision ID: d4e8f2a10005
Revises: c3a9e1f40004
Create Date: 2026-12-05 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4e8f2a10005"
down_revision: str | None = "c3a9e1f40004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("handle"),
        schema="tickets",
    )
    op.create_table(
        "teams",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
        schema="tickets",
    )
    op.create_table(
        "team_members",
        sa.Column("team_name", sa.String(length=200), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["tickets.agents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_name"], ["tickets.teams.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_name", "agent_id"),
        schema="tickets",
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("secret_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["tickets.agents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key_id"),
        schema="tickets",
    )
    op.create_index(
        "ix_api_keys_agent_id", "api_keys", ["agent_id"], unique=False, schema="tickets"
    )


def downgrade() -> None:
    op.drop_index("ix_api_keys_agent_id", table_name="api_keys", schema="tickets")
    op.drop_table("api_keys", schema="tickets")
    op.drop_table("team_members", schema="tickets")
    op.drop_table("teams", schema="tickets")
    op.drop_table("agents", schema="tickets")
