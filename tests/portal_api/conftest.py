"""customer_service, ticket_service and portal_api on the session's NATS and PostgreSQL."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient

from helpdesk_runtime.settings import load_settings
from portal_api.app import create_app
from portal_api.settings import PortalSettings
from tests.portal_api.support import SECRET_KEY, AccountMailbox, account_mailbox
from tests.support.servers import serving
from tests.ticket_service.helpers import (
    TicketsApi,
    agent_client,
    running_customer_service,
    running_ticket_service,
    ticket_settings,
)


def portal_settings(
    nats_url: str, database_url: str, blob_dir: Path, **overrides: Any
) -> PortalSettings:
    values: dict[str, Any] = {
        "secret_key": SECRET_KEY,
        "cookie_secure": False,
        "blob_dir": str(blob_dir),
        # Each test client sends its own X-Forwarded-For, so per-IP limits do not add up
        # across tests that share the database.
        "trust_forwarded_for": True,
        "max_attachments": 3,
        "max_attachment_bytes": 64 * 1024,
        **overrides,
    }
    return load_settings(
        PortalSettings, environ={}, nats_url=nats_url, database_url=database_url, **values
    )


@pytest.fixture(scope="module")
def blob_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("blobs")


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
    async with (
        running_ticket_service(ticket_settings(nats_url, database_url)) as base_url,
        agent_client(base_url, database_url) as client,
    ):
        yield TicketsApi(client)


@pytest.fixture(scope="module")
async def portal_url(
    tickets: TicketsApi, nats_url: str, database_url: str, blob_dir: Path
) -> AsyncIterator[str]:
    settings = portal_settings(nats_url, database_url, blob_dir)
    async with serving(create_app(settings)) as base_url:
        yield base_url


@pytest.fixture(scope="module")
async def nats_connection(nats_url: str) -> AsyncIterator[NatsClient]:
    connection = await nats.connect(nats_url)
    yield connection
    await connection.close()


@pytest.fixture(scope="module")
async def mailbox(nats_connection: NatsClient) -> AccountMailbox:
    return await account_mailbox(nats_connection)
