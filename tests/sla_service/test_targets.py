"""Targets set from TicketCreated over real JetStream, announced as SlaTargetsSet."""

import uuid
from datetime import timedelta

import httpx
from nats.js import JetStreamContext

from helpdesk_contracts import subjects
from helpdesk_contracts.enums import TicketPriority
from helpdesk_contracts.messages import SlaTargetsSet
from sla_service.consumers import CREATED_CONSUMER
from tests.sla_service.conftest import TargetsSetLog
from tests.sla_service.events import (
    consumer_drained,
    is_fallback,
    parse_time,
    publish,
    publish_created,
    put_policy,
    ten_days_ago,
    ticket_created,
    ticket_sla,
    unique_tier,
)
from tests.support.servers import wait_until


async def targets_set_for(log: TargetsSetLog, ticket_id: uuid.UUID) -> SlaTargetsSet:
    async def arrived() -> SlaTargetsSet | None:
        events = log.of(ticket_id)
        return events[0] if events else None

    event: SlaTargetsSet = await wait_until(arrived)
    return event


async def test_created_ticket_gets_policy_due_times(
    sla_api: str, jetstream: JetStreamContext, targets_set_log: TargetsSetLog
) -> None:
    tier = unique_tier("Gold")
    await put_policy(sla_api, tier, TicketPriority.URGENT, 45, 300)
    created = ticket_created(ten_days_ago(), tier, TicketPriority.URGENT)

    await publish_created(jetstream, created)
    event = await targets_set_for(targets_set_log, created.ticket_id)

    assert event.policy_name == f"{tier}/Urgent"
    assert event.ticket_version == created.version
    assert event.first_response_due == created.created_at + timedelta(minutes=45)
    assert event.resolution_due == created.created_at + timedelta(minutes=300)
    sla = await ticket_sla(sla_api, created.ticket_id)
    assert sla is not None
    assert sla["tier"] == tier
    assert sla["priority"] == "Urgent"
    assert parse_time(sla["first_response"]["due"]) == event.first_response_due
    assert parse_time(sla["resolution"]["due"]) == event.resolution_due


async def test_policy_without_resolution_target_gives_none(
    sla_api: str, jetstream: JetStreamContext, targets_set_log: TargetsSetLog
) -> None:
    tier = unique_tier("Bronze")
    await put_policy(sla_api, tier, TicketPriority.LOW, 120, None)
    created = ticket_created(ten_days_ago(), tier, TicketPriority.LOW)

    await publish_created(jetstream, created)
    event = await targets_set_for(targets_set_log, created.ticket_id)

    assert event.resolution_due is None
    assert event.first_response_due == created.created_at + timedelta(minutes=120)
    sla = await ticket_sla(sla_api, created.ticket_id)
    assert sla is not None
    assert sla["resolution"]["due"] is None
    assert sla["resolution"]["status"] == "no_target"


async def test_seeded_free_low_has_no_resolution_target(
    sla_api: str, jetstream: JetStreamContext, targets_set_log: TargetsSetLog
) -> None:
    created = ticket_created(ten_days_ago(), "Free", TicketPriority.LOW)

    await publish_created(jetstream, created)
    event = await targets_set_for(targets_set_log, created.ticket_id)

    assert event.policy_name == "Free/Low"
    assert event.first_response_due == created.created_at + timedelta(days=3)
    assert event.resolution_due is None


async def test_unknown_tier_falls_back_to_null_tier(
    sla_api: str, jetstream: JetStreamContext, targets_set_log: TargetsSetLog
) -> None:
    async with httpx.AsyncClient(base_url=sla_api) as client:
        policies = (await client.get("/policies")).json()
    fallback = next(p for p in policies if is_fallback(p) and p["priority"] == "High")

    for tier in (unique_tier("Unheard-of"), None):
        created = ticket_created(ten_days_ago(), tier, TicketPriority.HIGH)
        await publish_created(jetstream, created)
        event = await targets_set_for(targets_set_log, created.ticket_id)

        minutes_to_first_response = timedelta(minutes=fallback["first_response_minutes"])
        minutes_to_resolution = timedelta(minutes=fallback["resolution_minutes"])
        assert event.policy_name == "any tier/High", tier
        assert event.first_response_due == created.created_at + minutes_to_first_response, tier
        assert event.resolution_due == created.created_at + minutes_to_resolution, tier


async def test_exact_tier_wins_over_fallback(
    sla_api: str, jetstream: JetStreamContext, targets_set_log: TargetsSetLog
) -> None:
    tier = unique_tier("Silver")
    await put_policy(sla_api, tier, TicketPriority.MEDIUM, 7, 70)
    created = ticket_created(ten_days_ago(), tier, TicketPriority.MEDIUM)

    await publish_created(jetstream, created)
    event = await targets_set_for(targets_set_log, created.ticket_id)

    assert event.policy_name == f"{tier}/Medium"
    assert event.first_response_due == created.created_at + timedelta(minutes=7)


async def test_duplicate_created_sets_targets_once(
    sla_api: str, jetstream: JetStreamContext, targets_set_log: TargetsSetLog
) -> None:
    created = ticket_created(ten_days_ago(), "Enterprise", TicketPriority.URGENT)
    replayed = ticket_created(
        ten_days_ago(), "Free", TicketPriority.LOW, ticket_id=created.ticket_id
    )

    # Distinct Nats-Msg-Ids get past JetStream's de-duplication, so the service itself
    # receives the same event twice, then a second event for the same ticket.
    await publish(jetstream, subjects.TICKET_CREATED, created, msg_id=f"{created.id}-a")
    await publish(jetstream, subjects.TICKET_CREATED, created, msg_id=f"{created.id}-b")
    await publish_created(jetstream, replayed)
    await targets_set_for(targets_set_log, created.ticket_id)
    await wait_until(lambda: consumer_drained(jetstream, CREATED_CONSUMER))

    # The relay publishes outbox rows in creation order, and the marker's row is created
    # after the consumer finished, so a second event for the ticket would arrive first.
    marker = ticket_created(ten_days_ago(), None)
    await publish_created(jetstream, marker)
    await targets_set_for(targets_set_log, marker.ticket_id)

    events = targets_set_log.of(created.ticket_id)
    assert len(events) == 1
    assert events[0].policy_name == "Enterprise/Urgent"
    sla = await ticket_sla(sla_api, created.ticket_id)
    assert sla is not None
    assert sla["priority"] == "Urgent"
    assert sla["tier"] == "Enterprise"
