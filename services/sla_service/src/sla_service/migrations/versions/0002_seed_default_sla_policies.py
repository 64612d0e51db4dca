"""Seed the default SLA policies, so a fresh install sets due times from the start

Revision ID: ee90ad36dd57
Revises: d6daf842aa3b
Create Date: 2026-12-04 21:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ee90ad36dd57"
down_revision: str | None = "d6daf842aa3b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table as this migration knows it; later model changes must not alter the seed.
sla_policies = sa.table(
    "sla_policies",
    sa.column("tier", sa.String),
    sa.column("priority", sa.String),
    sa.column("first_response_minutes", sa.Integer),
    sa.column("resolution_minutes", sa.Integer),
    schema="sla",
)

HOUR = 60
DAY = 24 * HOUR

# (tier, priority, first response minutes, resolution minutes); None means no target and
# a None tier is the fallback for tickets whose customer tier is unknown.
DEFAULT_POLICIES: list[tuple[str | None, str, int | None, int | None]] = [
    ("Enterprise", "Urgent", 30, 4 * HOUR),
    ("Enterprise", "High", 1 * HOUR, 8 * HOUR),
    ("Enterprise", "Medium", 4 * HOUR, 1 * DAY),
    ("Enterprise", "Low", 8 * HOUR, 3 * DAY),
    ("Premium", "Urgent", 1 * HOUR, 8 * HOUR),
    ("Premium", "High", 2 * HOUR, 1 * DAY),
    ("Premium", "Medium", 8 * HOUR, 2 * DAY),
    ("Premium", "Low", 1 * DAY, 5 * DAY),
    ("Standard", "Urgent", 2 * HOUR, 1 * DAY),
    ("Standard", "High", 4 * HOUR, 2 * DAY),
    ("Standard", "Medium", 1 * DAY, 5 * DAY),
    ("Standard", "Low", 2 * DAY, 10 * DAY),
    ("Free", "Urgent", 8 * HOUR, 3 * DAY),
    ("Free", "High", 1 * DAY, 5 * DAY),
    ("Free", "Medium", 2 * DAY, 10 * DAY),
    ("Free", "Low", 3 * DAY, None),
    (None, "Urgent", 4 * HOUR, 2 * DAY),
    (None, "High", 8 * HOUR, 3 * DAY),
    (None, "Medium", 1 * DAY, 7 * DAY),
    (None, "Low", 2 * DAY, None),
]


def upgrade() -> None:
    op.bulk_insert(
        sla_policies,
        [
            {
                "tier": tier,
                "priority": priority,
                "first_response_minutes": first_response,
                "resolution_minutes": resolution,
            }
            for tier, priority, first_response, resolution in DEFAULT_POLICIES
        ],
    )


def downgrade() -> None:
    # Removes the seeded (tier, priority) rows, including any targets edited since.
    for tier, priority, _, _ in DEFAULT_POLICIES:
        tier_matches = sla_policies.c.tier.is_(None) if tier is None else sla_policies.c.tier == tier
        op.execute(
            sla_policies.delete().where(tier_matches, sla_policies.c.priority == priority)
        )
