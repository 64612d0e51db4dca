"""Tickets created while customer_service is down get their contact and customer later."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import TicketCreated, TicketEnriched
from tests.support.servers import wait_until
from tests.ticket_service.helpers import (
    TicketsApi,
    agent_client,
    collect,
    inbound_mail,
    publish_mail,
    running_customer_service,
    running_ticket_service,
    ticket_settings,
    unique,
)


@pytest.fixture(scope="module")
async def nats_connection(nats_url: str) -> AsyncIterator[NatsClient]:
    connection = await nats.connect(nats_url)
    yield connection
    await connection.close()


async def create_customer_then_stop(nats_url: str, database_url: str) -> tuple[str, str]:
    """Create a customer with a fresh domain, leaving customer_service stopped."""
    domain = f"late-{uuid.uuid4().hex[:8]}.test"
    async with (
        running_customer_service(nats_url, database_url) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        response = await client.post(
            "/customers", json={"name": "Late Ltd", "tier": "Premium", "domains": [domain]}
        )
    assert response.status_code == 201, response.text
    return response.json()["id"], domain


async def test_ticket_enriched_after_customer_service_starts(
    nats_url: str, database_url: str, nats_connection: NatsClient
) -> None:
    customer_id, domain = await create_customer_then_stop(nats_url, database_url)
    created_events = await collect(nats_connection, subjects.TICKET_CREATED, TicketCreated)
    enriched_events = await collect(nats_connection, subjects.TICKET_ENRICHED, TicketEnriched)
    settings = ticket_settings(nats_url, database_url, resolve_contact_timeout_seconds=0.5)
    subject = unique("Nobody answers")

    async with (
        running_ticket_service(settings) as base_url,
        agent_client(base_url, database_url) as client,
    ):
        tickets = TicketsApi(client)
        await publish_mail(nats_connection.jetstream(), inbound_mail(subject, f"kim@{domain}"))
        pending = await tickets.wait_for_subject(subject, enriched=False)

        async with running_customer_service(nats_url, database_url):

            async def enriched() -> dict[str, Any] | None:
                detail = await tickets.detail(pending["id"])
                return None if detail["enrichment_pending"] else detail

            filled = await wait_until(enriched)

    assert pending["enrichment_pending"] is True
    assert pending["customer"]["id"] is None
    assert pending["contact_ids"] == []
    assert filled["customer"]["id"] == customer_id
    assert filled["customer"]["tier"] == "Premium"
    assert filled["primary_contact_id"] is not None
    assert filled["contact_ids"] == [filled["primary_contact_id"]]
    assert filled["version"] == 2
    ticket_id = uuid.UUID(pending["id"])

    async def created_published() -> list[Any] | None:
        return created_events.matching(ticket_id=ticket_id) or None

    [created] = await wait_until(created_published)
    assert created.customer_tier is None

    # The outbox relay publishes the event after the commit the API already shows.
    async def enriched_published() -> list[Any] | None:
        return enriched_events.matching(ticket_id=ticket_id) or None

    [event] = await wait_until(enriched_published)
    assert event.customer_id == uuid.UUID(customer_id)
    assert event.customer_tier == "Premium"
    assert event.version == 2
    audited = [(e["field"], e["actor"], e["new_value"]) for e in filled["audit"]]
    assert ("customer_id", "system", customer_id) in audited
    assert ("customer_tier", "system", "Premium") in audited
