"""Add the business minutes to first response and resolution, for report medians

Revision ID: 5b1f0c2e7a94
Revises: 442c5ecdf14a
Create Date: 2026-12-04 21:52:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1f0c2e7a94"
down_revision: str | None = "442c5ecdf14a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "sla_targets",
        sa.Column("first_response_business_minutes", sa.Integer(), nullable=True),
        schema="sla",
    )
    op.add_column(
        "sla_targets",
        sa.Column("resolution_business_minutes", sa.Integer(), nullable=True),
        schema="sla",
    )


def downgrade() -> None:
    op.drop_column("sla_targets", "resolution_business_minutes", schema="sla")
    op.drop_column("sla_targets", "first_response_business_minutes", schema="sla")
