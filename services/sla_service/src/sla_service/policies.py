"""SLA policies: targets per customer tier and priority, and how a ticket's policy is chosen.

A policy row has a priority and optional tier, team, category and source; a NULL in
any of those four matches every ticket. Among the rows with the ticket's priority whose
every non-NULL field equals the ticket's value, the most specific wins:

1. the row matching more of the four fields;
2. on a tie, the row that sets the tier, then the team, then the category, then the
   source (so Enterprise/any team beats any tier/Support team).

With no row matching, the ticket gets no due times. A row with only a priority is the
fallback for that priority. Values are compared exactly as the ticket events carry them,
so "enterprise" does not match an "Enterprise" row.

A fresh install starts with these defaults (migration 0002), in wall-clock time as
"first response / resolution"; "none" means no target:

| tier        | Urgent       | High        | Medium       | Low          |
|-------------|--------------|-------------|--------------|--------------|
| Enterprise  | 30 min / 4 h | 1 h / 8 h   | 4 h / 24 h   | 8 h / 3 d    |
| Premium     | 1 h / 8 h    | 2 h / 24 h  | 8 h / 2 d    | 24 h / 5 d   |
| Standard    | 2 h / 24 h   | 4 h / 2 d   | 24 h / 5 d   | 2 d / 10 d   |
| Free        | 8 h / 3 d    | 24 h / 5 d  | 2 d / 10 d   | 3 d / none   |
| NULL (any)  | 4 h / 2 d    | 8 h / 3 d   | 24 h / 7 d   | 2 d / none   |

Targets count minutes of the policy's business calendar (see `business_calendar`): a
policy without a calendar counts around the clock (24/7), as every policy did before
calendars existed, and the seeded defaults have none.

Changing a policy applies to tickets created afterwards; existing targets keep the due
times computed when their ticket was created.

"""

from collections.abc import Sequence

import msgspec
from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

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
    narrowing = [value for value in (policy.team, policy.category, policy.source) if value]
    return "/".join([policy.tier or FALLBACK_TIER_NAME, policy.priority, *narrowing])


class PolicyMatch(msgspec.Struct, frozen=True, kw_only=True):
    """The ticket facts a policy is matched on besides its priority; None is unknown."""

    tier: str | None = None
    team: str | None = None
    category: str | None = None
    source: str | None = None


def _matches(column: InstrumentedAttribute[str | None], value: str | None) -> ColumnElement[bool]:
    if value is None:
        return column.is_(None)
    return column.is_(None) | (column == value)


def _sets(column: InstrumentedAttribute[str | None]) -> ColumnElement[int]:
    return case((column.is_not(None), 1), else_=0)


async def find_policy(
    session: AsyncSession, match: PolicyMatch, priority: TicketPriority
) -> SlaPolicy | None:
    """Return the most specific policy for the ticket facts `match` and `priority`."""
    fields = (SlaPolicy.tier, SlaPolicy.team, SlaPolicy.category, SlaPolicy.source)
    values = (match.tier, match.team, match.category, match.source)

    specificity = sum((_sets(column) for column in fields), start=literal(0))
    result = await session.execute(
        select(SlaPolicy)
        .where(
            SlaPolicy.priority == priority.value,
            *(_matches(column, value) for column, value in zip(fields, values, strict=True)),
        )
        .order_by(specificity.desc(), *(column.asc().nulls_last() for column in fields))
        .limit(1)
    )
    return result.scalar_one_or_none()


async def list_policies(session: AsyncSession) -> Sequence[SlaPolicy]:
    """Return every policy by tier (NULL-tier rows last), priority, then narrowing fields."""
    result = await session.execute(
        select(SlaPolicy).order_by(
            SlaPolicy.tier.asc().nulls_last(),
            SlaPolicy.priority,
            SlaPolicy.team.asc().nulls_first(),
            SlaPolicy.category.asc().nulls_first(),
            SlaPolicy.source.asc().nulls_first(),
        )
    )
    return result.scalars().all()


async def upsert_policy(
    session: AsyncSession,
    tier: str | None,
    priority: TicketPriority,
    first_response_minutes: int | None,
    resolution_minutes: int | None,
    calendar_id: int | None = None,
    team: str | None = None,
    category: str | None = None,
    source: str | None = None,
) -> SlaPolicy:
    """Create the policy for its match fields or replace its targets. The caller commits.

    A None `calendar_id` makes the policy count minutes around the clock (24/7).
    """
    targets = {
        "first_response_minutes": first_response_minutes,
        "resolution_minutes": resolution_minutes,
        "calendar_id": calendar_id,
    }
    statement = (
        insert(SlaPolicy)
        .values(
            tier=tier,
            priority=priority.value,
            team=team,
            category=category,
            source=source,
            **targets,
        )
        .on_conflict_do_update(
            constraint="uq_sla_policies_match",
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
        team=team,
        category=category,
        source=source,
        first_response_minutes=first_response_minutes,
        resolution_minutes=resolution_minutes,
        calendar_id=calendar_id,
    )
    return policy
