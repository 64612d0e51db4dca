"""Policies with a business calendar set due times in open hours, through the service."""

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import msgspec
from nats.js import JetStreamContext

from helpdesk_contracts.enums import TicketPriority, TicketSource
from tests.sla_service.events import parse_time, publish_created, ticket_created, unique_tier
from tests.sla_service.test_outcomes import sla_once

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


async def put_calendar(base_url: str, name: str, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as client:
        return await client.put(f"/calendars/{name}", json=body)


async def test_policy_with_office_calendar_skips_weekend(
    sla_api: str, jetstream: JetStreamContext
) -> None:
    calendar_name = f"berlin-office-{uuid.uuid4().hex[:8]}"
    response = await put_calendar(
        sla_api,
        calendar_name,
        {
            "time_zone": "Europe/Berlin",
            "weekly_hours": {day: [["09:00", "17:00"]] for day in WEEKDAYS},
            "holiday_country": "DE",
        },
    )
    assert response.status_code == 200, response.text
    tier = unique_tier("Office")
    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.put(
            "/policies",
            json={
                "tier": tier,
                "priority": "High",
                "first_response_minutes": 120,
                "resolution_minutes": 8 * 60,
                "calendar": calendar_name,
            },
        )
    assert response.status_code == 200, response.text

    # Friday 2026-11-27 16:00 in Berlin: one open hour left before the weekend.
    created = ticket_created(datetime(2026, 11, 27, 16, tzinfo=BERLIN), tier, TicketPriority.HIGH)
    await publish_created(jetstream, created)
    sla = await sla_once(sla_api, created.ticket_id)

    assert parse_time(sla["first_response"]["due"]) == datetime(2026, 11, 30, 10, tzinfo=BERLIN)
    assert parse_time(sla["resolution"]["due"]) == datetime(2026, 11, 30, 16, tzinfo=BERLIN)


async def test_invalid_calendars_are_rejected(sla_api: str) -> None:
    unknown_zone = await put_calendar(sla_api, "bad-zone", {"time_zone": "Mars/Olympus"})
    overlapping = await put_calendar(
        sla_api,
        "bad-hours",
        {"time_zone": "UTC", "weekly_hours": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}},
    )

    assert unknown_zone.status_code == 400
    assert overlapping.status_code == 400


async def test_policy_naming_unknown_calendar_is_rejected(sla_api: str) -> None:
    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.put(
            "/policies",
            json={
                "tier": unique_tier("NoCalendar"),
                "priority": "Low",
                "first_response_minutes": 60,
                "resolution_minutes": None,
                "calendar": "no-such-calendar",
            },
        )

    assert response.status_code == 400


async def put_matching_policy(sla_api: str, first_response_minutes: int, **match: str) -> None:
    body = {
        "priority": "High",
        "first_response_minutes": first_response_minutes,
        "resolution_minutes": None,
        **match,
    }
    body.setdefault("tier", None)
    async with httpx.AsyncClient(base_url=sla_api) as client:
        response = await client.put("/policies", json=body)
    assert response.status_code == 200, response.text


async def first_response_minutes_for(
    sla_api: str, jetstream: JetStreamContext, tier: str, team: str, source: TicketSource
) -> float:
    created = msgspec.structs.replace(
        ticket_created(datetime(2026, 11, 2, 9, tzinfo=UTC), tier, TicketPriority.HIGH),
        assigned_team=team,
        source=source,
    )
    await publish_created(jetstream, created)
    sla = await sla_once(sla_api, created.ticket_id)
    due = parse_time(sla["first_response"]["due"])
    assert due is not None
    return (due - created.created_at).total_seconds() / 60


async def test_most_specific_policy_wins(sla_api: str, jetstream: JetStreamContext) -> None:
    tier = unique_tier("Match")
    team = f"team-{uuid.uuid4().hex[:8]}"
    await put_matching_policy(sla_api, 60, tier=tier)
    await put_matching_policy(sla_api, 30, tier=tier, team=team)
    await put_matching_policy(sla_api, 10, team=team, source="portal")

    async def minutes(ticket_tier: str, ticket_team: str, source: TicketSource) -> float:
        return await first_response_minutes_for(
            sla_api, jetstream, ticket_tier, ticket_team, source
        )

    assert await minutes(tier, team, TicketSource.EMAIL) == 30
    assert await minutes(tier, "other-team", TicketSource.EMAIL) == 60
    # Two fields match in both team policies; the one that sets the tier wins the tie.
    assert await minutes(tier, team, TicketSource.PORTAL) == 30
    assert await minutes(unique_tier("Unknown"), team, TicketSource.PORTAL) == 10


async def test_category_policy_matches_created_ticket(
    sla_api: str, jetstream: JetStreamContext
) -> None:
    tier = unique_tier("Category")
    category = f"billing-{uuid.uuid4().hex[:8]}"
    await put_matching_policy(sla_api, 90, tier=tier)
    await put_matching_policy(sla_api, 15, tier=tier, category=category)

    async def minutes(ticket_category: str | None) -> float:
        created = msgspec.structs.replace(
            ticket_created(datetime(2026, 11, 2, 9, tzinfo=UTC), tier, TicketPriority.HIGH),
            category=ticket_category,
        )
        await publish_created(jetstream, created)
        sla = await sla_once(sla_api, created.ticket_id)
        due = parse_time(sla["first_response"]["due"])
        assert due is not None
        return (due - created.created_at).total_seconds() / 60

    assert await minutes(category) == 15
    assert await minutes("another-category") == 90
    assert await minutes(None) == 90
