"""The SLA report grouped by team, tier and period, and its SVG chart by tier."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
from nats.js import JetStreamContext

from helpdesk_contracts.enums import TicketPriority, TicketStatus
from tests.sla_service.events import (
    publish_created,
    publish_first_response,
    publish_status,
    put_policy,
    ticket_created,
    ticket_sla,
    unique_tier,
)
from tests.support.servers import wait_until

# Mid-month, so every ticket of the test starts in the same UTC month.
STARTED_AT = datetime(2026, 10, 14, 9, tzinfo=UTC)


async def report(sla_api: str, **params: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.get("/reports/sla", params=params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


async def test_report_by_team_tier_month(sla_api: str, jetstream: JetStreamContext) -> None:
    tier = unique_tier("Report")
    team = f"team-{uuid.uuid4().hex[:8]}"
    await put_policy(sla_api, tier, TicketPriority.MEDIUM, 60, 600)
    response_minutes = [10, 30, 90]
    tickets = [
        msgspec.structs.replace(
            ticket_created(STARTED_AT + timedelta(hours=i), tier, TicketPriority.MEDIUM),
            assigned_team=team,
        )
        for i in range(3)
    ]
    for created, minutes in zip(tickets, response_minutes, strict=True):
        await publish_created(jetstream, created)
        await wait_until(lambda c=created: ticket_sla(sla_api, c.ticket_id))
        await publish_first_response(
            jetstream, created.ticket_id, created.created_at + timedelta(minutes=minutes)
        )
    await publish_status(
        jetstream,
        tickets[0].ticket_id,
        3,
        TicketStatus.OPEN,
        TicketStatus.RESOLVED,
        tickets[0].created_at + timedelta(minutes=120),
    )

    async def grouped_rows() -> list[dict[str, Any]] | None:
        rows = [
            r
            for r in await report(sla_api, group_by="team,tier", period="month")
            if r["team"] == team
        ]
        settled = rows and rows[0]["first_response"]["open"] == 0 and rows[0]["resolution"]["met"]
        return rows if settled else None

    rows = await wait_until(grouped_rows)

    assert len(rows) == 1
    row = rows[0]
    assert row["tier"] == tier
    assert row["priority"] is None
    assert datetime.fromisoformat(row["period_start"]) == datetime(2026, 10, 1, tzinfo=UTC)
    assert row["tickets"] == 3
    assert row["first_response"]["met"] == 2
    assert row["first_response"]["missed"] == 1
    assert row["first_response"]["met_percent"] == 66.7
    assert row["first_response"]["median_business_minutes"] == 30
    assert row["resolution"]["met_percent"] == 100
    assert row["resolution"]["median_business_minutes"] == 120


async def test_unknown_grouping_is_rejected(sla_api: str) -> None:
    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.get("/reports/sla", params={"group_by": "tier,colour"})

    assert response.status_code == 400


async def test_chart_draws_met_and_missed_bars_per_tier(
    sla_api: str, jetstream: JetStreamContext
) -> None:
    tier = unique_tier("Chart")
    await put_policy(sla_api, tier, TicketPriority.LOW, None, 60)
    created = ticket_created(STARTED_AT, tier, TicketPriority.LOW)
    await publish_created(jetstream, created)
    await wait_until(lambda: ticket_sla(sla_api, created.ticket_id))
    await publish_status(
        jetstream,
        created.ticket_id,
        2,
        TicketStatus.OPEN,
        TicketStatus.RESOLVED,
        created.created_at + timedelta(minutes=90),
    )

    async def resolved() -> bool:
        sla = await ticket_sla(sla_api, created.ticket_id)
        return sla is not None and sla["resolution"]["met"] is False

    await wait_until(resolved)
    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.get("/reports/sla.svg")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg")
    assert f">{tier}</text>" in response.text
    assert response.text.count("<rect") >= 2
