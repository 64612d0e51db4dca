"""Routing rules: set team, priority, category and tags of new tickets.

Rules are evaluated in order of `position`, then id, against every new ticket (from
email, the agent API or the web) after its sender was resolved. Every matching rule
applies: a later rule overrides the team, priority and category that an earlier one
set, and tags accumulate. A rule's `category` condition is matched against the category
that earlier rules set. Fields given explicitly when a ticket is created through the API
override the rules (see `ticket_service.creation`).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_contracts.enums import TicketPriority
from helpdesk_runtime.logging import get_logger
from ticket_service.classification import check_category, normalize_tags
from ticket_service.errors import RoutingRuleNotFoundError
from ticket_service.models import RoutingRule, Ticket
from ticket_service.teams import check_team

log = get_logger(__name__)

# The actor of routing changes in the audit history.
ROUTING_ACTOR = "routing"

# The fields that rules set, audited after a new ticket is inserted.
ROUTED_FIELDS = ("assigned_team", "priority", "category", "tags")


@dataclass(frozen=True)
class RuleDefinition:
    """A routing rule as an agent defines it; None or empty conditions match every ticket."""

    name: str
    position: int
    recipient: str | None = None
    customer_tier: str | None = None
    subject_keywords: tuple[str, ...] = ()
    category: str | None = None
    set_team: str | None = None
    set_priority: TicketPriority | None = None
    set_category: str | None = None
    add_tags: tuple[str, ...] = ()


async def create_rule(
    session: AsyncSession, definition: RuleDefinition, now: datetime
) -> RoutingRule:
    """Store a rule; raise `UnknownCategoryError` or `UnknownTeamError` for unknown names."""
    await check_category(session, definition.category)
    await check_category(session, definition.set_category)
    await check_team(session, definition.set_team, "$.set_team")
    rule = RoutingRule(
        id=uuid.uuid4(),
        name=definition.name,
        position=definition.position,
        recipient=definition.recipient.strip().lower() if definition.recipient else None,
        customer_tier=definition.customer_tier,
        subject_keywords=[k.strip().lower() for k in definition.subject_keywords if k.strip()],
        category=definition.category,
        set_team=definition.set_team,
        set_priority=definition.set_priority,
        set_category=definition.set_category,
        add_tags=normalize_tags(definition.add_tags),
        created_at=now,
    )
    session.add(rule)
    await session.flush()
    log.info("routing rule created", rule_id=str(rule.id), name=rule.name, position=rule.position)
    return rule


async def delete_rule(session: AsyncSession, rule_id: uuid.UUID) -> None:
    """Delete a rule, or raise `RoutingRuleNotFoundError`."""
    result = await session.execute(
        delete(RoutingRule).where(RoutingRule.id == rule_id).returning(RoutingRule.id)
    )
    if result.scalar() is None:
        raise RoutingRuleNotFoundError(rule_id)
    log.info("routing rule deleted", rule_id=str(rule_id))


async def rules_in_order(session: AsyncSession) -> list[RoutingRule]:
    """Return every rule in evaluation order."""
    result = await session.scalars(
        select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
    )
    return list(result)


def rule_matches(rule: RoutingRule, ticket: Ticket, recipients: frozenset[str]) -> bool:
    """Return whether every condition the rule sets holds for the ticket.

    `recipients` are the lower-cased To and Cc addresses of the first message.
    """
    if rule.recipient is not None and rule.recipient not in recipients:
        return False
    tier = (ticket.customer_tier or "").lower()
    if rule.customer_tier is not None and rule.customer_tier.lower() != tier:
        return False
    subject = ticket.subject.lower()
    if rule.subject_keywords and not any(word in subject for word in rule.subject_keywords):
        return False
    return rule.category is None or rule.category == ticket.category


async def route_new_ticket(
    session: AsyncSession, ticket: Ticket, recipients: Iterable[str]
) -> list[str]:
    """Apply every matching rule to a new, not yet inserted ticket; return their names."""
    addresses = frozenset(address.strip().lower() for address in recipients)
    applied = []
    for rule in await rules_in_order(session):
        if not rule_matches(rule, ticket, addresses):
            continue
        if rule.set_team is not None:
            ticket.assigned_team = rule.set_team
        if rule.set_priority is not None:
            ticket.priority = rule.set_priority
        if rule.set_category is not None:
            ticket.category = rule.set_category
        ticket.tags = normalize_tags([*ticket.tags, *rule.add_tags])
        applied.append(rule.name)

    if applied:
        log.info("routing rules applied", ticket_id=str(ticket.id), rules=applied)
    return applied
