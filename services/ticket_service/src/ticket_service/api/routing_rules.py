"""Routing rules: list, create and delete."""

import uuid

from litestar import Controller, delete, get, post
from litestar.params import FromPath, JSONBody

from helpdesk_runtime.database import Sessions, unit_of_work
from ticket_service.api.authentication import requires
from ticket_service.api.schemas import RoutingRuleCreate, RoutingRuleOut
from ticket_service.models import RoutingRule
from ticket_service.roles import Permission
from ticket_service.routing import RuleDefinition, create_rule, delete_rule, rules_in_order
from ticket_service.tickets import utc_now


def _rule_out(rule: RoutingRule) -> RoutingRuleOut:
    return RoutingRuleOut(
        id=rule.id,
        name=rule.name,
        position=rule.position,
        recipient=rule.recipient,
        customer_tier=rule.customer_tier,
        subject_keywords=list(rule.subject_keywords),
        category=rule.category,
        set_team=rule.set_team,
        set_priority=rule.set_priority,
        set_category=rule.set_category,
        add_tags=list(rule.add_tags),
        created_at=rule.created_at,
    )


class RoutingRuleController(Controller):
    path = "/routing-rules"
    tags = ["routing rules"]

    @get("/")
    async def list_rules(self, sessions: Sessions) -> list[RoutingRuleOut]:
        """List the rules in evaluation order: position ascending, then id."""
        async with sessions() as session:
            return [_rule_out(rule) for rule in await rules_in_order(session)]

    @post("/", status_code=201, guards=[requires(Permission.CONFIGURE)])
    async def create_rule(
        self, data: JSONBody[RoutingRuleCreate], sessions: Sessions
    ) -> RoutingRuleOut:
        """Add a rule; it applies to tickets created from now on. An unknown category is a 400."""
        definition = RuleDefinition(
            name=data.name,
            position=data.position,
            recipient=data.recipient,
            customer_tier=data.customer_tier,
            subject_keywords=tuple(data.subject_keywords),
            category=data.category,
            set_team=data.set_team,
            set_priority=data.set_priority,
            set_category=data.set_category,
            add_tags=tuple(data.add_tags),
        )
        async with unit_of_work(sessions) as session:
            rule = await create_rule(session, definition, utc_now())
            return _rule_out(rule)

    @delete("/{rule_id:uuid}", guards=[requires(Permission.CONFIGURE)])
    async def delete_rule(self, rule_id: FromPath[uuid.UUID], sessions: Sessions) -> None:
        """Delete a rule; tickets it already routed keep their fields."""
        async with unit_of_work(sessions) as session:
            await delete_rule(session, rule_id)
