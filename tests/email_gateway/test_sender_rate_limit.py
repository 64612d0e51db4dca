"""The per-sender rate limit: the excess is quarantined, logged and counted in /metrics."""

import asyncio
import smtplib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage

import asyncpg
import httpx
import pytest

from email_gateway.app import create_app
from email_gateway.settings import GatewaySettings
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.settings import load_settings
from tests.support.servers import serving

SUPPORT_ADDRESS = "support@helpdesk.test"
MAX_MESSAGES = 3


@dataclass
class Gateway:
    smtp_port: int
    base_url: str


@pytest.fixture(scope="module")
async def gateway(
    nats_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Gateway]:
    settings = load_settings(
        GatewaySettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        http_port=free_port(),
        smtp_port=free_port(),
        relay_port=free_port(),
        support_addresses=SUPPORT_ADDRESS,
        blob_dir=str(tmp_path_factory.mktemp("rate-limit-blobs")),
        rate_limit_messages=MAX_MESSAGES,
        rate_limit_window_seconds=600.0,
        log_level="warning",
    )
    async with serving(create_app(settings), settings.http_port) as base_url:
        yield Gateway(smtp_port=settings.smtp_port, base_url=base_url)


def deliver_from(port: int, sender: str) -> str:
    """Deliver one message from `sender` and return its Message-ID."""
    message_id = f"{uuid.uuid4().hex}@customer.test"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = "Where is my order?"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content("Order 1234 has not arrived.")
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail("bulk@customer.test", [SUPPORT_ADDRESS], message.as_bytes())
    return message_id


async def deliver_many(port: int, senders: list[str]) -> list[str]:
    return [await asyncio.to_thread(deliver_from, port, sender) for sender in senders]


async def outcomes_of(database_url: str, message_ids: list[str]) -> list[tuple[str, str | None]]:
    """Return (status, quarantine reason) of each message, in the order of `message_ids`."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT message_id, status, quarantine_reason FROM email_gateway.raw_messages"
            " WHERE message_id = ANY($1::text[])",
            message_ids,
        )
    finally:
        await connection.close()
    by_id = {row["message_id"]: (row["status"], row["quarantine_reason"]) for row in rows}
    return [by_id[message_id] for message_id in message_ids]


async def test_rate_limit_quarantines_excess(gateway: Gateway, database_url: str) -> None:
    sender = f"{uuid.uuid4().hex[:10]}@customer.test"
    message_ids = await deliver_many(gateway.smtp_port, [sender] * (MAX_MESSAGES + 2))

    outcomes = await outcomes_of(database_url, message_ids)

    statuses = [status for status, _ in outcomes]
    assert statuses == ["published"] * MAX_MESSAGES + ["quarantined"] * 2
    reason = outcomes[-1][1]
    assert reason is not None
    assert reason.startswith("rate limit: ")
    assert sender in reason


async def test_rate_limit_per_sender(gateway: Gateway, database_url: str) -> None:
    flooding = f"{uuid.uuid4().hex[:10]}@customer.test"
    other = f"{uuid.uuid4().hex[:10]}@customer.test"
    await deliver_many(gateway.smtp_port, [flooding] * (MAX_MESSAGES + 1))

    message_ids = await deliver_many(gateway.smtp_port, [other])

    assert await outcomes_of(database_url, message_ids) == [("published", None)]


async def test_rate_limit_sender_case_insensitive(gateway: Gateway, database_url: str) -> None:
    address = f"{uuid.uuid4().hex[:10]}@customer.test"
    senders = [address.upper() if index % 2 else address for index in range(MAX_MESSAGES + 1)]

    message_ids = await deliver_many(gateway.smtp_port, senders)

    statuses = [status for status, _ in await outcomes_of(database_url, message_ids)]
    assert statuses == ["published"] * MAX_MESSAGES + ["quarantined"]


async def test_rate_limit_counted_in_metrics(gateway: Gateway) -> None:
    sender = f"{uuid.uuid4().hex[:10]}@customer.test"
    await deliver_many(gateway.smtp_port, [sender] * (MAX_MESSAGES + 1))

    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        metrics = (await client.get("/metrics")).text

    assert "email_inbound_rate_limited_total " in metrics
