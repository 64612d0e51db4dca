"""customer_service and ticket_service running on the session's NATS and PostgreSQL."""

from collections.abc import AsyncIterator

import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from tests.ticket_service.helpers import (
    TicketsApi,
    agent_client,
    running_customer_service,
    running_ticket_service,
    ticket_settings,
)


@pytest.fixture(scope="module")
async def customer_api(nats_url: str, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_customer_service(nats_url, database_url) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        yield client


@pytest.fixture(scope="module")
async def tickets(
    customer_api: httpx.AsyncClient, nats_url: str, database_url: str
) -> AsyncIterator[TicketsApi]:
    settings = ticket_settings(nats_url, database_url)
    async with (
        running_ticket_service(settings) as base_url,
        agent_client(base_url, database_url) as client,
    ):
        yield TicketsApi(client)


@pytest.fixture(scope="module")
async def nats_connection(nats_url: str) -> AsyncIterator[NatsClient]:
    connection = await nats.connect(nats_url)
    yield connection
    await connection.close()


@pytest.fixture(scope="module")
def js(nats_connection: NatsClient) -> JetStreamContext:
    return nats_connection.jetstream()
