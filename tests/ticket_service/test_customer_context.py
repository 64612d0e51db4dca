"""The account context from customer_service in the ticket view."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from nats.js import JetStreamContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpdesk_runtime.database import create_engine
from tests.ticket_service.helpers import TicketsApi, inbound_mail, publish_mail, unique


@pytest.fixture(scope="module")
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url, pool_size=2)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_ticket_view_shows_account_context(
    tickets: TicketsApi, js: JetStreamContext, customer_api: httpx.AsyncClient
) -> None:
    domain = f"ctx-{uuid.uuid4().hex[:8]}.test"
    created = await customer_api.post(
        "/customers", json={"name": "Context Corp", "tier": "Premium", "domains": [domain]}
    )
    assert created.status_code == 201, created.text
    message = inbound_mail(unique("Need help"), f"ann@{domain}", name="Ann")
    await publish_mail(js, message)
    ticket = await tickets.wait_for_subject(message.subject)

    by_number = await tickets.client.get(f"/tickets/by-number/{ticket['number']}")
    context = ticket["customer_context"]

    assert context is not None
    assert context["customer"]["name"] == "Context Corp"
    assert context["tier"] == "Premium"
    assert context["contact"]["id"] == ticket["primary_contact_id"]
    assert by_number.json()["customer_context"]["customer"]["id"] == ticket["customer_id"]


async def test_context_null_when_request_fails(
    tickets: TicketsApi, sessions: async_sessionmaker[AsyncSession]
) -> None:
    response = await tickets.client.post(
        "/tickets",
        json={"subject": unique("Ghost"), "text": "Hi", "requester_email": "ghost@ctx.test"},
    )
    ticket_id = response.json()["id"]
    # customer_service replies with an error for a contact it does not know.
    async with sessions() as session, session.begin():
        await session.execute(
            text("UPDATE tickets.tickets SET primary_contact_id = :contact WHERE id = :id"),
            {"contact": uuid.uuid4(), "id": uuid.UUID(ticket_id)},
        )

    detail = await tickets.detail(ticket_id)

    assert detail["customer_context"] is None
    assert detail["subject"] == response.json()["subject"]
