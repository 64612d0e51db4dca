"""SLA policies: targets per customer tier and priority, and how a ticket's policy is chosen.

The policy of a ticket is the row with its exact (tier, priority), else the fallback row
with a NULL tier and its priority, else none (the ticket gets no due times). Tiers are
compared exactly as customer_service stores them, so "enterprise" does not match an
"Enterprise" row.

A fresh install starts with these defaults (migration 0002), in wall-clock time as
"first response / resolution"; "none" means no target:

| tier        | Urgent       | High        | Medium       | Low          |
|-------------|--------------|-------------|--------------|--------------|
| Enterprise  | 30 min / 4 h | 1 h / 8 h   | 4 h / 24 h   | 8 h / 3 d    |
| Premium     | 1 h / 8 h    | 2 h / 24 h  | 8 h / 2 d    | 24 h / 5 d   |
| Standard    | 2 h / 24 h   | 4 h / 2 d   | 24 h / 5 d   | 2 d / 10 d   |
| Free        | 8 h / 3 d    | 24 h / 5 d  | 2 d / 10 d   | 3 d / none   |
| NULL (any)  | 4 h / 2 d    | 8 h / 3 d   | 24 h / 7 d   | 2 d / none   |

Changing a policy applies to tickets created afterwards; existing targets keep the due
times computed when their ticket was created.
"""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import TicketPriority
from helpdesk_runtime.logging import get_logger
from sla_service.models import SlaPolicy

log = get_logger(__name__)

FALLBACK_TIER_NAME = "any tier"
NO_POLICY_NAME = "none"


def policy_name(policy: SlaPolicy | None) -> str:
    """Return the name events carry for a policy, such as "Enterprise/Urgent"."""
    if policy is None:
        return NO_POLICY_NAME
    return f"{policy.tier or FALLBACK_TIER_NAME}/{policy.priority}"


async def find_policy(
    session: AsyncSession, tier: str | None, priority: TicketPriority
) -> SlaPolicy | None:
    """Return the policy for `tier` and `priority`, falling back to the NULL-tier row."""
    tier_matches: ColumnElement[bool] = SlaPolicy.tier.is_(None)
    if tier is not None:
        tier_matches = tier_matches | (SlaPolicy.tier == tier)

    # The exact tier sorts first because NULLS LAST puts the fallback row after it.
    result = await session.execute(
        select(SlaPolicy)
        .where(SlaPolicy.priority == priority.value, tier_matches)
        .order_by(SlaPolicy.tier.asc().nulls_last())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def list_policies(session: AsyncSession) -> Sequence[SlaPolicy]:
    """Return every policy, fallback rows last within their priority."""
    result = await session.execute(
        select(SlaPolicy).order_by(SlaPolicy.tier.asc().nulls_last(), SlaPolicy.priority)
    )
    return result.scalars().all()


async def upsert_policy(
    session: AsyncSession,
    tier: str | None,
    priority: TicketPriority,
    first_response_minutes: int | None,
    resolution_minutes: int | None,
) -> SlaPolicy:
    """Create the policy for (`tier`, `priority`) or replace its targets. The caller commits."""
    targets = {
        "first_response_minutes": first_response_minutes,
        "resolution_minutes": resolution_minutes,
    }
    statement = (
        insert(SlaPolicy)
        .values(tier=tier, priority=priority.value, **targets)
        .on_conflict_do_update(
            constraint="uq_sla_policies_tier_priority",
            set_={**targets, "updated_at": func.now()},
        )
        .returning(SlaPolicy)
        # A row already loaded in this session would otherwise keep its old targets.
        .execution_options(populate_existing=True)
    )
    policy = (await session.execute(statement)).scalar_one()

    log.info(
        "sla policy saved",
        policy_id=policy.id,
        tier=tier,
        priority=priority.value,
        first_response_minutes=first_response_minutes,
        resolution_minutes=resolution_minutes,
    )
    return policy
