"""Match policies on team, category and source, and store them on targets

Revision ID: 81169b1dfb4d
Revises: 5b1f0c2e7a94
Create Date: 2026-12-04 21:58:26.236185
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "81169b1dfb4d"
down_revision: str | None = "5b1f0c2e7a94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "sla_policies", sa.Column("team", sa.String(length=200), nullable=True), schema="sla"
    )
    op.add_column(
        "sla_policies", sa.Column("category", sa.String(length=200), nullable=True), schema="sla"
    )
    op.add_column(
        "sla_policies", sa.Column("source", sa.String(length=20), nullable=True), schema="sla"
    )
    op.drop_constraint(
        "uq_sla_policies_tier_priority", "sla_policies", schema="sla", type_="unique"
    )
    op.create_unique_constraint(
        "uq_sla_policies_match",
        "sla_policies",
        ["tier", "priority", "team", "category", "source"],
        schema="sla",
        postgresql_nulls_not_distinct=True,
    )
    op.add_column(
        "sla_targets", sa.Column("source", sa.String(length=20), nullable=True), schema="sla"
    )
    op.add_column(
        "sla_targets", sa.Column("category", sa.String(length=200), nullable=True), schema="sla"
    )


def downgrade() -> None:
    op.drop_column("sla_targets", "category", schema="sla")
    op.drop_column("sla_targets", "source", schema="sla")
    op.drop_constraint("uq_sla_policies_match", "sla_policies", schema="sla", type_="unique")
    op.create_unique_constraint(
        "uq_sla_policies_tier_priority",
        "sla_policies",
        ["tier", "priority"],
        schema="sla",
        postgresql_nulls_not_distinct=True,
    )
    op.drop_column("sla_policies", "source", schema="sla")
    op.drop_column("sla_policies", "category", schema="sla")
    op.drop_column("sla_policies", "team", schema="sla")
