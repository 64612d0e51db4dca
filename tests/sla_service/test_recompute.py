"""Targets recomputed from the original start when priority or tier changes."""

import uuid
from datetime import timedelta

from nats.js import JetStreamContext

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import TicketPriority
from helpdesk_contracts.messages import SlaTargetsSet, TicketEnriched, TicketPriorityChanged
from tests.sla_service.conftest import TargetsSetLog
from tests.sla_service.events import (
    publish,
    publish_created,
    put_policy,
    ten_days_ago,
    ticket_created,
    unique_tier,
)
from tests.support.servers import wait_until


async def nth_targets_set(log: TargetsSetLog, ticket_id: uuid.UUID, n: int) -> SlaTargetsSet:
    async def arrived() -> SlaTargetsSet | None:
        events = log.of(ticket_id)
        return events[n - 1] if len(events) >= n else None

    event: SlaTargetsSet = await wait_until(arrived)
    return event


async def test_priority_change_recomputes_from_start(
    sla_api: str, jetstream: JetStreamContext, targets_set_log: TargetsSetLog
) -> None:
    tier = unique_tier("Silver")
    await put_policy(sla_api, tier, TicketPriority.LOW, 600, 6000)
    await put_policy(sla_api, tier, TicketPriority.URGENT, 15, 120)
    created = ticket_created(ten_days_ago(), tier, TicketPriority.LOW)
    await publish_created(jetstream, created)
    await nth_targets_set(targets_set_log, created.ticket_id, 1)

    changed = TicketPriorityChanged(
        ticket_id=created.ticket_id,
        version=2,
        from_priority=TicketPriority.LOW,
        to_priority=TicketPriority.URGENT,
        changed_at=created.created_at + timedelta(hours=1),
        actor="agent@helpdesk.test",
    )
    await publish(jetstream, subjects.TICKET_PRIORITY_CHANGED, changed)
    event = await nth_targets_set(targets_set_log, created.ticket_id, 2)

    assert event.policy_name == f"{tier}/Urgent"
    assert event.ticket_version == 2
    assert event.first_response_due == created.created_at + timedelta(minutes=15)
    assert event.resolution_due == created.created_at + timedelta(minutes=120)


async def test_enrichment_tier_recomputes_targets(
    sla_api: str, jetstream: JetStreamContext, targets_set_log: TargetsSetLog
) -> None:
    tier = unique_tier("Late")
    await put_policy(sla_api, tier, TicketPriority.HIGH, 20, 200)
    created = ticket_created(ten_days_ago(), None, TicketPriority.HIGH)
    await publish_created(jetstream, created)
    first = await nth_targets_set(targets_set_log, created.ticket_id, 1)

    enriched = TicketEnriched(
        ticket_id=created.ticket_id,
        version=2,
        contact_ids=(uuid.uuid4(),),
        customer_tier=tier,
    )
    await publish(jetstream, subjects.TICKET_ENRICHED, enriched)
    second = await nth_targets_set(targets_set_log, created.ticket_id, 2)

    assert first.policy_name.startswith("any tier/")
    assert second.policy_name == f"{tier}/High"
    assert second.resolution_due == created.created_at + timedelta(minutes=200)
