"""Add business calendars, pauses of the resolution clock and breach timers

Revision ID: 442c5ecdf14a
Revises: ee90ad36dd57
Create Date: 2026-12-04 21:44:57.979468
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "442c5ecdf14a"
down_revision: str | None = "ee90ad36dd57"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendars",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("weekly_hours", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("holiday_dates", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("holiday_country", sa.String(length=10), nullable=True),
        sa.Column("always_open", sa.Boolean(), server_default="false", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        schema="sla",
    )
    op.create_table(
        "sla_timers",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("fraction", sa.Float(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'fired', 'cancelled')", name="ck_sla_timers_state"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "target", "fraction", name="uq_sla_timers_ticket_target"),
        schema="sla",
    )
    op.create_index(
        "ix_sla_timers_pending_due_at",
        "sla_timers",
        ["due_at"],
        unique=False,
        schema="sla",
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "sla_pauses",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("business_minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["sla.sla_targets.ticket_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        schema="sla",
    )
    op.create_index(
        "ix_sla_pauses_ticket_id", "sla_pauses", ["ticket_id"], unique=False, schema="sla"
    )
    op.add_column(
        "sla_policies", sa.Column("calendar_id", sa.Integer(), nullable=True), schema="sla"
    )
    op.create_foreign_key(
        "fk_sla_policies_calendar_id",
        "sla_policies",
        "calendars",
        ["calendar_id"],
        ["id"],
        source_schema="sla",
        referent_schema="sla",
        ondelete="SET NULL",
    )
    op.add_column(
        "sla_targets", sa.Column("team", sa.String(length=200), nullable=True), schema="sla"
    )
    op.add_column(
        "sla_targets",
        sa.Column("paused_minutes", sa.Integer(), server_default="0", nullable=False),
        schema="sla",
    )


def downgrade() -> None:
    op.drop_column("sla_targets", "paused_minutes", schema="sla")
    op.drop_column("sla_targets", "team", schema="sla")
    op.drop_constraint(
        "fk_sla_policies_calendar_id", "sla_policies", schema="sla", type_="foreignkey"
    )
    op.drop_column("sla_policies", "calendar_id", schema="sla")
    op.drop_index("ix_sla_pauses_ticket_id", table_name="sla_pauses", schema="sla")
    op.drop_table("sla_pauses", schema="sla")
    op.drop_index(
        "ix_sla_timers_pending_due_at",
        table_name="sla_timers",
        schema="sla",
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.drop_table("sla_timers", schema="sla")
    op.drop_table("calendars", schema="sla")
