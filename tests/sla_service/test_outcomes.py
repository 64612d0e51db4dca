"""First responses and resolutions recorded against the targets, over real JetStream."""

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from nats.js import JetStreamContext

from helpdesk_contracts.enums import TicketPriority, TicketStatus
from helpdesk_contracts.messages import TicketCreated
from sla_service.consumers import FIRST_RESPONSE_CONSUMER
from tests.sla_service.events import (
    consumer_drained,
    parse_time,
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

FIRST_RESPONSE_MINUTES = 60
RESOLUTION_MINUTES = 240

SlaCheck = Callable[[dict[str, Any]], bool]


async def open_ticket(sla_api: str, jetstream: JetStreamContext) -> TicketCreated:
    """Create a ticket under a policy of 60 min / 240 min and wait for its targets."""
    tier = unique_tier("Outcome")
    await put_policy(sla_api, tier, TicketPriority.HIGH, FIRST_RESPONSE_MINUTES, RESOLUTION_MINUTES)
    created = ticket_created(ten_days_ago(), tier, TicketPriority.HIGH)
    await publish_created(jetstream, created)
    await sla_once(sla_api, created.ticket_id)
    return created


async def sla_once(
    sla_api: str, ticket_id: uuid.UUID, check: SlaCheck | None = None
) -> dict[str, Any]:
    """Wait until the ticket's SLA exists and passes `check`, if given, and return it."""

    async def matching() -> dict[str, Any] | None:
        sla = await ticket_sla(sla_api, ticket_id)
        if sla is None or (check is not None and not check(sla)):
            return None
        return sla

    result: dict[str, Any] = await wait_until(matching)
    return result


def minutes_after(created: TicketCreated, minutes: int) -> datetime:
    return created.created_at + timedelta(minutes=minutes)


def first_response_at(sla: dict[str, Any]) -> datetime | None:
    return parse_time(sla["first_response"]["done_at"])


def resolved_at(sla: dict[str, Any]) -> datetime | None:
    return parse_time(sla["resolution"]["done_at"])


async def test_first_response_before_due_is_met(sla_api: str, jetstream: JetStreamContext) -> None:
    created = await open_ticket(sla_api, jetstream)
    responded_at = minutes_after(created, 30)

    await publish_first_response(jetstream, created.ticket_id, responded_at)
    sla = await sla_once(sla_api, created.ticket_id, lambda s: first_response_at(s) is not None)

    assert first_response_at(sla) == responded_at
    assert sla["first_response"]["met"] is True
    assert sla["first_response"]["status"] == "met"


async def test_first_response_after_due_is_missed(
    sla_api: str, jetstream: JetStreamContext
) -> None:
    created = await open_ticket(sla_api, jetstream)
    responded_at = minutes_after(created, 90)

    await publish_first_response(jetstream, created.ticket_id, responded_at)
    sla = await sla_once(sla_api, created.ticket_id, lambda s: first_response_at(s) is not None)

    assert first_response_at(sla) == responded_at
    assert sla["first_response"]["met"] is False
    assert sla["first_response"]["status"] == "missed"


async def test_first_response_exactly_at_due_is_met(
    sla_api: str, jetstream: JetStreamContext
) -> None:
    created = await open_ticket(sla_api, jetstream)

    await publish_first_response(
        jetstream, created.ticket_id, minutes_after(created, FIRST_RESPONSE_MINUTES)
    )
    sla = await sla_once(sla_api, created.ticket_id, lambda s: first_response_at(s) is not None)

    assert sla["first_response"]["met"] is True


async def test_earliest_first_response_counts(sla_api: str, jetstream: JetStreamContext) -> None:
    created = await open_ticket(sla_api, jetstream)
    late, early, later = (minutes_after(created, m) for m in (90, 30, 120))

    await publish_first_response(jetstream, created.ticket_id, late)
    await sla_once(sla_api, created.ticket_id, lambda s: first_response_at(s) == late)
    await publish_first_response(jetstream, created.ticket_id, early)
    await sla_once(sla_api, created.ticket_id, lambda s: first_response_at(s) == early)
    await publish_first_response(jetstream, created.ticket_id, later)
    await wait_until(lambda: consumer_drained(jetstream, FIRST_RESPONSE_CONSUMER))
    sla = await sla_once(sla_api, created.ticket_id)

    assert first_response_at(sla) == early
    assert sla["first_response"]["met"] is True


async def test_resolved_then_reopened_clears_resolution(
    sla_api: str, jetstream: JetStreamContext
) -> None:
    created = await open_ticket(sla_api, jetstream)
    resolved = minutes_after(created, 200)

    await publish_status(
        jetstream, created.ticket_id, 2, TicketStatus.OPEN, TicketStatus.RESOLVED, resolved
    )
    sla = await sla_once(sla_api, created.ticket_id, lambda s: s["ticket_version"] == 2)
    assert resolved_at(sla) == resolved
    assert sla["resolution"]["met"] is True
    assert sla["resolution"]["status"] == "met"

    await publish_status(
        jetstream,
        created.ticket_id,
        3,
        TicketStatus.RESOLVED,
        TicketStatus.OPEN,
        minutes_after(created, 300),
    )
    sla = await sla_once(sla_api, created.ticket_id, lambda s: s["ticket_version"] == 3)

    assert resolved_at(sla) is None
    assert sla["resolution"]["met"] is None
    # The ticket started ten days ago, so its 4 h resolution target has passed.
    assert sla["resolution"]["status"] == "overdue"


async def test_resolution_after_due_is_missed(sla_api: str, jetstream: JetStreamContext) -> None:
    created = await open_ticket(sla_api, jetstream)

    await publish_status(
        jetstream,
        created.ticket_id,
        2,
        TicketStatus.IN_PROGRESS,
        TicketStatus.RESOLVED,
        minutes_after(created, RESOLUTION_MINUTES + 1),
    )
    sla = await sla_once(sla_api, created.ticket_id, lambda s: s["ticket_version"] == 2)

    assert sla["resolution"]["met"] is False
    assert sla["resolution"]["status"] == "missed"


async def test_closing_resolved_ticket_keeps_resolution_time(
    sla_api: str, jetstream: JetStreamContext
) -> None:
    created = await open_ticket(sla_api, jetstream)
    resolved = minutes_after(created, 100)

    await publish_status(
        jetstream, created.ticket_id, 2, TicketStatus.OPEN, TicketStatus.RESOLVED, resolved
    )
    await sla_once(sla_api, created.ticket_id, lambda s: s["ticket_version"] == 2)
    await publish_status(
        jetstream,
        created.ticket_id,
        3,
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
        minutes_after(created, RESOLUTION_MINUTES + 60),
    )
    sla = await sla_once(sla_api, created.ticket_id, lambda s: s["ticket_version"] == 3)

    assert resolved_at(sla) == resolved
    assert sla["resolution"]["met"] is True


async def test_stale_status_change_is_ignored(sla_api: str, jetstream: JetStreamContext) -> None:
    created = await open_ticket(sla_api, jetstream)
    resolved = minutes_after(created, 100)

    await publish_status(
        jetstream, created.ticket_id, 3, TicketStatus.OPEN, TicketStatus.RESOLVED, resolved
    )
    await sla_once(sla_api, created.ticket_id, lambda s: s["ticket_version"] == 3)
    # Version 2 arrives late: applied, it would clear the resolution, and the Closed
    # event after it would then record a new resolution time.
    await publish_status(
        jetstream,
        created.ticket_id,
        2,
        TicketStatus.OPEN,
        TicketStatus.IN_PROGRESS,
        minutes_after(created, 50),
    )
    await publish_status(
        jetstream,
        created.ticket_id,
        4,
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
        minutes_after(created, 500),
    )
    sla = await sla_once(sla_api, created.ticket_id, lambda s: s["ticket_version"] == 4)

    assert resolved_at(sla) == resolved
    assert sla["resolution"]["met"] is True


async def first_response_failures(sla_api: str) -> float:
    """Return how often the first-response handler failed, from the service's /metrics."""
    async with httpx.AsyncClient(base_url=sla_api) as client:
        text = (await client.get("/metrics")).text
    total = 0.0
    for line in text.splitlines():
        is_failure_line = line.startswith("message_handler_failures_total{")
        if is_failure_line and 'consumer="sla_service-first-response"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_event_before_created_is_retried(sla_api: str, jetstream: JetStreamContext) -> None:
    tier = unique_tier("Early")
    await put_policy(sla_api, tier, TicketPriority.HIGH, FIRST_RESPONSE_MINUTES, None)
    created = ticket_created(ten_days_ago(), tier, TicketPriority.HIGH)
    responded_at = minutes_after(created, 10)
    failures_before = await first_response_failures(sla_api)

    await publish_first_response(jetstream, created.ticket_id, responded_at)

    async def handler_failed() -> bool:
        return await first_response_failures(sla_api) > failures_before

    # The handler has failed for the unknown ticket before the ticket is created.
    await wait_until(handler_failed)
    await publish_created(jetstream, created)
    sla = await sla_once(sla_api, created.ticket_id, lambda s: first_response_at(s) is not None)

    assert first_response_at(sla) == responded_at
    assert sla["first_response"]["met"] is True
