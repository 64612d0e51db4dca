"""Pending and Waiting on Customer pause the resolution clock and move its due time."""

import uuid

import httpx
from nats.js import JetStreamContext

from helpdesk_contracts.enums import TicketStatus
from tests.sla_service.events import parse_time, publish_status
from tests.sla_service.sla_events import SlaEventLog
from tests.sla_service.test_outcomes import (
    RESOLUTION_MINUTES,
    minutes_after,
    open_ticket,
    sla_once,
)
from tests.support.servers import wait_until


async def test_pause_moves_resolution_due_and_announces_it(
    sla_api: str, jetstream: JetStreamContext, sla_event_log: SlaEventLog
) -> None:
    created = await open_ticket(sla_api, jetstream)
    ticket_id = created.ticket_id

    await publish_status(
        jetstream, ticket_id, 2, TicketStatus.OPEN, TicketStatus.PENDING, minutes_after(created, 60)
    )
    await sla_once(sla_api, ticket_id, lambda s: s["ticket_version"] == 2)
    await publish_status(
        jetstream,
        ticket_id,
        3,
        TicketStatus.PENDING,
        TicketStatus.OPEN,
        minutes_after(created, 180),
    )
    sla = await sla_once(sla_api, ticket_id, lambda s: s["ticket_version"] == 3)

    moved_due = minutes_after(created, RESOLUTION_MINUTES + 120)
    assert parse_time(sla["resolution"]["due"]) == moved_due

    async def moved_due_announced() -> bool:
        return any(t.resolution_due == moved_due for t in sla_event_log.targets_of(ticket_id))

    await wait_until(moved_due_announced)


async def test_resolving_from_pending_keeps_the_pause(
    sla_api: str, jetstream: JetStreamContext
) -> None:
    created = await open_ticket(sla_api, jetstream)
    ticket_id = created.ticket_id

    await publish_status(
        jetstream,
        ticket_id,
        2,
        TicketStatus.OPEN,
        TicketStatus.WAITING_ON_CUSTOMER,
        minutes_after(created, 200),
    )
    await sla_once(sla_api, ticket_id, lambda s: s["ticket_version"] == 2)
    # Without the pause this resolution would be 160 minutes late.
    await publish_status(
        jetstream,
        ticket_id,
        3,
        TicketStatus.WAITING_ON_CUSTOMER,
        TicketStatus.RESOLVED,
        minutes_after(created, 400),
    )
    sla = await sla_once(sla_api, ticket_id, lambda s: s["ticket_version"] == 3)

    assert parse_time(sla["resolution"]["due"]) == minutes_after(created, RESOLUTION_MINUTES + 200)
    assert sla["resolution"]["met"] is True


async def test_reopening_resumes_the_clock(sla_api: str, jetstream: JetStreamContext) -> None:
    created = await open_ticket(sla_api, jetstream)
    ticket_id = created.ticket_id
    transitions = [
        (TicketStatus.OPEN, TicketStatus.PENDING, 100),
        (TicketStatus.PENDING, TicketStatus.RESOLVED, 130),
        (TicketStatus.RESOLVED, TicketStatus.OPEN, 500),
    ]
    # One at a time, because the consumer ignores a status event older than one applied.
    for version, (from_status, to_status, minutes) in enumerate(transitions, start=2):
        await publish_status(
            jetstream, ticket_id, version, from_status, to_status, minutes_after(created, minutes)
        )
        sla = await sla_once(sla_api, ticket_id, lambda s, v=version: s["ticket_version"] == v)

    # Only the 30 minutes in Pending were paused: time after the reopening counts.
    assert parse_time(sla["resolution"]["due"]) == minutes_after(created, RESOLUTION_MINUTES + 30)
    assert sla["resolution"]["met"] is None
    assert sla["resolution"]["status"] == "overdue"


async def test_explain_shows_pauses_and_arithmetic(
    sla_api: str, jetstream: JetStreamContext
) -> None:
    created = await open_ticket(sla_api, jetstream)
    ticket_id = created.ticket_id
    await publish_status(
        jetstream, ticket_id, 2, TicketStatus.OPEN, TicketStatus.PENDING, minutes_after(created, 10)
    )
    await sla_once(sla_api, ticket_id, lambda s: s["ticket_version"] == 2)
    await publish_status(
        jetstream, ticket_id, 3, TicketStatus.PENDING, TicketStatus.OPEN, minutes_after(created, 55)
    )
    await sla_once(sla_api, ticket_id, lambda s: s["ticket_version"] == 3)

    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.get(f"/tickets/{ticket_id}/sla/explain")
    assert response.status_code == 200, response.text
    explained = response.json()

    assert explained["calendar"]["name"] == "24/7"
    assert [pause["business_minutes"] for pause in explained["pauses"]] == [45]
    resolution = explained["resolution"]
    assert resolution["target_minutes"] == RESOLUTION_MINUTES
    assert resolution["paused_minutes"] == 45
    assert resolution["business_minutes"] == RESOLUTION_MINUTES + 45
    assert resolution["due"] == resolution["computed_due"]
    assert parse_time(resolution["due"]) == minutes_after(created, RESOLUTION_MINUTES + 45)
    assert f"{RESOLUTION_MINUTES} target + 45 paused" in resolution["arithmetic"]
    assert explained["first_response"]["paused_minutes"] == 0


async def test_explain_unknown_ticket_is_not_found(sla_api: str) -> None:
    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.get(f"/tickets/{uuid.uuid4()}/sla/explain")

    assert response.status_code == 404
