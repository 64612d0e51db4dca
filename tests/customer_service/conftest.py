"""customer_service running on the session's NATS and PostgreSQL, and clients for it."""

import uuid
from collections.abc import AsyncIterator
from typing import TypeVar

import httpx
import msgspec
import nats
import pytest
from nats.aio.client import Client as NatsClient

from customer_service.app import create_app
from customer_service.settings import CustomerSettings
from helpdesk_runtime.settings import load_settings
from tests.support.servers import serving


def customer_settings(nats_url: str, database_url: str) -> CustomerSettings:
    return load_settings(
        CustomerSettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        support_domains="support.example.net",
    )


ReplyT = TypeVar("ReplyT")


def unique_domain(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}.test"


@pytest.fixture(scope="module")
async def api(nats_url: str, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serving(create_app(customer_settings(nats_url, database_url))) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        yield client


@pytest.fixture(scope="module")
async def nats_client(nats_url: str) -> AsyncIterator[NatsClient]:
    connection = await nats.connect(nats_url)
    yield connection
    await connection.close()


async def request_reply(
    connection: NatsClient, subject: str, request: msgspec.Struct, reply_type: type[ReplyT]
) -> ReplyT:
    response = await connection.request(subject, msgspec.json.encode(request), timeout=5)
    return msgspec.json.decode(response.data, type=reply_type)
