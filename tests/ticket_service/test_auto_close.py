"""Resolved tickets close automatically after `auto_close_days`, once each."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import TicketStatusChanged
from helpdesk_runtime.database import create_engine
from tests.support.servers import wait_until
from tests.ticket_service.helpers import TicketsApi, collect, events_for, open_ticket
from ticket_service.auto_close import close_expired_tickets


@pytest.fixture(scope="module")
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url, pool_size=4)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def resolve_long_ago(
    tickets: TicketsApi, sessions: async_sessionmaker[AsyncSession], ticket_id: str
) -> None:
    response = await tickets.patch(ticket_id, {"status": "Resolved"})
    assert response.status_code == 200, response.text
    async with sessions() as session, session.begin():
        await session.execute(
            text(
                "UPDATE tickets.tickets SET resolved_at = resolved_at - interval '8 days' "
                "WHERE id = :id"
            ),
            {"id": uuid.UUID(ticket_id)},
        )


async def test_resolved_ticket_closes_after_days(
    tickets: TicketsApi,
    js: JetStreamContext,
    nats_connection: NatsClient,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    changes = await collect(nats_connection, subjects.TICKET_STATUS_CHANGED, TicketStatusChanged)
    expired = await open_ticket(tickets, js)
    recent = await open_ticket(tickets, js)
    await tickets.patch(recent["id"], {"status": "Resolved"})

    await resolve_long_ago(tickets, sessions, expired["id"])

    async def closed() -> dict[str, object] | None:
        detail = await tickets.detail(expired["id"])
        return detail if detail["status"] == "Closed" else None

    detail = await wait_until(closed)
    _, closing = await events_for(changes, expired["id"], 2)
    assert closing.actor == "system"
    assert closing.to_status.value == "Closed"
    assert detail["interactions"][-1]["text_body"] == (
        "Status changed from Resolved to Closed by system."
    )
    assert (await tickets.detail(recent["id"]))["status"] == "Resolved"


async def test_concurrent_passes_close_once(
    tickets: TicketsApi,
    js: JetStreamContext,
    nats_connection: NatsClient,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    changes = await collect(nats_connection, subjects.TICKET_STATUS_CHANGED, TicketStatusChanged)
    opened = [await open_ticket(tickets, js) for _ in range(3)]
    for ticket in opened:
        await resolve_long_ago(tickets, sessions, ticket["id"])

    # Two passes at once, racing the service's own job as a third replica would.
    await asyncio.gather(
        close_expired_tickets(sessions, timedelta(days=7)),
        close_expired_tickets(sessions, timedelta(days=7)),
    )

    for ticket in opened:
        await events_for(changes, ticket["id"], 2)
        detail = await tickets.detail(ticket["id"])
        closings = [i for i in detail["interactions"] if "to Closed" in i["text_body"]]
        assert detail["status"] == "Closed"
        assert detail["version"] == 3
        assert len(closings) == 1
