"""The policy, ticket and report endpoints of sla_service."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from nats.js import JetStreamContext

from helpdesk_contracts.enums import TicketPriority, TicketStatus
from tests.sla_service.events import (
    is_fallback,
    publish_created,
    publish_first_response,
    publish_status,
    put_policy,
    ten_days_ago,
    ticket_created,
    ticket_sla,
    unique_tier,
)
from tests.support.servers import wait_until

VALID_POLICY: dict[str, Any] = {
    "tier": "Validation",
    "priority": "High",
    "first_response_minutes": 60,
    "resolution_minutes": 480,
}

# (change to a valid policy, field the problem must name)
INVALID_POLICIES: list[tuple[dict[str, Any], str]] = [
    ({"first_response_minutes": 0}, "first_response_minutes"),
    ({"first_response_minutes": -15}, "first_response_minutes"),
    ({"resolution_minutes": 0}, "resolution_minutes"),
    ({"resolution_minutes": "eight hours"}, "resolution_minutes"),
    ({"resolution_minutes": 10 * 366 * 24 * 60}, "resolution_minutes"),
    ({"priority": "Critical"}, "priority"),
    ({"tier": ""}, "tier"),
    ({"first_response_minutes": 600, "resolution_minutes": 60}, "first_response_minutes"),
]


async def test_invalid_policy_names_field(sla_api: str) -> None:
    async with httpx.AsyncClient(base_url=sla_api) as client:
        for change, field in INVALID_POLICIES:
            response = await client.put("/policies", json={**VALID_POLICY, **change})

            assert response.status_code == 400, change
            assert response.headers["content-type"].startswith("application/problem+json")
            fields = [error["field"] for error in response.json()["errors"]]
            assert any(field in name for name in fields), (change, fields)


async def test_policy_with_missing_key_is_rejected(sla_api: str) -> None:
    body = {key: value for key, value in VALID_POLICY.items() if key != "resolution_minutes"}

    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.put("/policies", json=body)

    assert response.status_code == 400
    fields = [error["field"] for error in response.json()["errors"]]
    assert "$.resolution_minutes" in fields


async def test_put_policy_replaces_same_tier_and_priority(sla_api: str) -> None:
    tier = unique_tier("Platinum")

    first = await put_policy(sla_api, tier, TicketPriority.HIGH, 60, 600)
    second = await put_policy(sla_api, tier, TicketPriority.HIGH, 30, None)

    assert second["id"] == first["id"]
    assert second["first_response_minutes"] == 30
    assert second["resolution_minutes"] is None
    async with httpx.AsyncClient(base_url=sla_api) as client:
        policies = (await client.get("/policies")).json()
    rows = [p for p in policies if p["tier"] == tier]
    assert len(rows) == 1
    assert rows[0]["first_response_minutes"] == 30


async def test_put_fallback_policy_keeps_one_row(sla_api: str) -> None:
    async with httpx.AsyncClient(base_url=sla_api) as client:
        policies = (await client.get("/policies")).json()
    seeded = next(p for p in policies if is_fallback(p) and p["priority"] == "Medium")

    # Writing the seeded values back leaves the fallback that other tests read unchanged.
    saved = await put_policy(
        sla_api,
        None,
        TicketPriority.MEDIUM,
        seeded["first_response_minutes"],
        seeded["resolution_minutes"],
    )

    assert saved["id"] == seeded["id"]
    async with httpx.AsyncClient(base_url=sla_api) as client:
        policies = (await client.get("/policies")).json()
    fallbacks = [p for p in policies if is_fallback(p) and p["priority"] == "Medium"]
    assert len(fallbacks) == 1


async def test_default_policies_cover_every_tier_and_priority(sla_api: str) -> None:
    async with httpx.AsyncClient(base_url=sla_api) as client:
        policies = (await client.get("/policies")).json()

    present = {(p["tier"], p["priority"]) for p in policies}
    for tier in ("Enterprise", "Premium", "Standard", "Free", None):
        for priority in TicketPriority:
            assert (tier, priority.value) in present


async def test_unknown_ticket_sla_is_not_found(sla_api: str) -> None:
    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.get(f"/tickets/{uuid.uuid4()}/sla")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_sla_report_counts_outcomes(sla_api: str, jetstream: JetStreamContext) -> None:
    tier = unique_tier("Report")
    await put_policy(sla_api, tier, TicketPriority.URGENT, 60, 240)
    met, missed, still_open = (
        ticket_created(ten_days_ago(), tier, TicketPriority.URGENT) for _ in range(3)
    )
    for created in (met, missed, still_open):
        await publish_created(jetstream, created)
    await publish_first_response(jetstream, met.ticket_id, met.created_at + timedelta(minutes=5))
    await publish_first_response(
        jetstream, missed.ticket_id, missed.created_at + timedelta(minutes=61)
    )
    await publish_status(
        jetstream,
        met.ticket_id,
        3,
        TicketStatus.OPEN,
        TicketStatus.RESOLVED,
        met.created_at + timedelta(minutes=30),
    )

    async def outcome_recorded(ticket_id: uuid.UUID, target: str) -> bool:
        sla = await ticket_sla(sla_api, ticket_id)
        return sla is not None and sla[target]["met"] is not None

    await wait_until(lambda: outcome_recorded(met.ticket_id, "first_response"))
    await wait_until(lambda: outcome_recorded(met.ticket_id, "resolution"))
    await wait_until(lambda: outcome_recorded(missed.ticket_id, "first_response"))
    await wait_until(lambda: ticket_sla(sla_api, still_open.ticket_id))
    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.get("/reports/sla")
    assert response.status_code == 200
    rows = [r for r in response.json()["rows"] if r["tier"] == tier]

    assert len(rows) == 1
    assert rows[0]["priority"] == "Urgent"
    assert rows[0]["tickets"] == 3
    first_response, resolution = rows[0]["first_response"], rows[0]["resolution"]
    assert (first_response["met"], first_response["missed"], first_response["open"]) == (1, 1, 1)
    assert (resolution["met"], resolution["missed"], resolution["open"]) == (1, 0, 2)


async def test_sla_report_filters_by_start_time(sla_api: str, jetstream: JetStreamContext) -> None:
    tier = unique_tier("Window")
    inside = ticket_created(ten_days_ago(), tier, TicketPriority.LOW)
    before = ticket_created(ten_days_ago() - timedelta(days=30), tier, TicketPriority.LOW)
    for created in (inside, before):
        await publish_created(jetstream, created)
    await wait_until(lambda: ticket_sla(sla_api, inside.ticket_id))
    await wait_until(lambda: ticket_sla(sla_api, before.ticket_id))

    since = (inside.created_at - timedelta(days=1)).isoformat()
    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.get("/reports/sla", params={"since": since})
    assert response.status_code == 200
    rows = [r for r in response.json()["rows"] if r["tier"] == tier]

    assert len(rows) == 1
    assert rows[0]["tickets"] == 1
