"""Policy changes reach existing tickets only when an agent requests it."""

from datetime import timedelta

import httpx
from nats.js import JetStreamContext

from helpdesk_contracts.enums import TicketPriority
from tests.sla_service.events import (
    parse_time,
    publish_created,
    put_policy,
    ten_days_ago,
    ticket_created,
    ticket_sla,
    unique_tier,
)
from tests.support.servers import wait_until


async def test_policy_change_waits_for_reapply(sla_api: str, jetstream: JetStreamContext) -> None:
    tier = unique_tier("Reapply")
    await put_policy(sla_api, tier, TicketPriority.HIGH, 60, 600)
    created = ticket_created(ten_days_ago(), tier, TicketPriority.HIGH)
    await publish_created(jetstream, created)

    async def targets() -> dict[str, object] | None:
        return await ticket_sla(sla_api, created.ticket_id)

    await wait_until(targets)
    await put_policy(sla_api, tier, TicketPriority.HIGH, 30, 300)
    before = await ticket_sla(sla_api, created.ticket_id)
    async with httpx.AsyncClient(base_url=sla_api, timeout=60) as client:
        response = await client.post("/policies/reapply", params={"tier": tier})
    after = await ticket_sla(sla_api, created.ticket_id)

    assert before is not None
    assert after is not None
    assert parse_time(before["first_response"]["due"]) == created.created_at + timedelta(minutes=60)
    assert response.status_code == 200, response.text
    assert response.json()["recomputed"] == 1
    assert parse_time(after["first_response"]["due"]) == created.created_at + timedelta(minutes=30)
    assert parse_time(after["resolution"]["due"]) == created.created_at + timedelta(minutes=300)
