"""SlaBreached stamps the ticket's earliest breach time once, over real JetStream."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from nats.js import JetStreamContext

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import SlaBreached
from helpdesk_runtime.service import ServiceRuntime
from tests.support.servers import wait_until
from tests.ticket_service.helpers import TicketsApi, open_ticket, ticket_settings
from ticket_service.app import build_runtime
from ticket_service.sla_breaches import register_sla_breaches


@pytest.fixture(scope="module")
async def breach_consumer(
    tickets: TicketsApi, nats_url: str, database_url: str
) -> AsyncIterator[ServiceRuntime]:
    # A second ticket_service runtime with the breach consumer registered, as app.py
    # will register it; it shares the database and consumers with the `tickets` one.
    runtime = build_runtime(ticket_settings(nats_url, database_url))
    register_sla_breaches(runtime)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def publish_breach(js: JetStreamContext, breach: SlaBreached) -> None:
    headers = {"Nats-Msg-Id": str(breach.id)}
    await js.publish(subjects.SLA_BREACHED, msgspec.json.encode(breach), headers=headers)


def breach(ticket_id: str, target: str, breached_at: datetime) -> SlaBreached:
    return SlaBreached(
        ticket_id=uuid.UUID(ticket_id),
        target=target,
        due_at=breached_at - timedelta(seconds=1),
        breached_at=breached_at,
    )


async def detail_when(tickets: TicketsApi, ticket_id: str, version: int) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        detail = await tickets.detail(ticket_id)
        return detail if detail["version"] >= version else None

    result: dict[str, Any] = await wait_until(reached)
    return result


async def test_earliest_breach_is_stamped_once(
    tickets: TicketsApi, js: JetStreamContext, breach_consumer: ServiceRuntime
) -> None:
    ticket = await open_ticket(tickets, js)
    ticket_id = ticket["id"]
    start_version = (await tickets.detail(ticket_id))["version"]
    resolution_breach = breach(ticket_id, "resolution", datetime(2026, 11, 2, 12, tzinfo=UTC))
    first_response_breach = breach(
        ticket_id, "first_response", datetime(2026, 11, 2, 9, tzinfo=UTC)
    )

    await publish_breach(js, resolution_breach)
    stamped = await detail_when(tickets, ticket_id, start_version + 1)
    assert datetime.fromisoformat(stamped["sla_breach_at"]) == resolution_breach.breached_at

    await publish_breach(js, first_response_breach)
    stamped = await detail_when(tickets, ticket_id, start_version + 2)
    assert datetime.fromisoformat(stamped["sla_breach_at"]) == first_response_breach.breached_at

    # A later breach and a new copy of the resolution breach change nothing; the marker
    # breach after them shows both were handled before it.
    later = breach(ticket_id, "resolution", datetime(2026, 11, 3, tzinfo=UTC))
    await publish_breach(js, later)
    await publish_breach(js, msgspec.structs.replace(resolution_breach, id=uuid.uuid4()))
    marker = breach(ticket_id, "first_response", datetime(2026, 11, 1, tzinfo=UTC))
    await publish_breach(js, marker)
    stamped = await detail_when(tickets, ticket_id, start_version + 3)

    assert datetime.fromisoformat(stamped["sla_breach_at"]) == marker.breached_at
    assert stamped["version"] == start_version + 3
