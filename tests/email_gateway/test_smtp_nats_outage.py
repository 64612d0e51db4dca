"""SMTP acceptance while JetStream is unavailable: 451 until the event is stored, nothing lost.

This module runs its own NATS server, so it can stop and restart it, and its own
database, so its messages (published to that server only) stay out of the shared one.
"""

import asyncio
import smtplib
import uuid
from collections.abc import AsyncIterator, Iterator
from email import policy
from email.message import EmailMessage

import asyncpg
import httpx
import msgspec
import nats
import pytest

from email_gateway.app import create_app
from email_gateway.settings import GatewaySettings
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import InboundEmailReceived
from helpdesk_runtime.local_servers import LocalNats, free_port
from helpdesk_runtime.settings import load_settings
from tests.support.infrastructure import fresh_database
from tests.support.servers import serving, wait_until

SUPPORT_ADDRESS = "support@helpdesk.test"


@pytest.fixture(scope="module")
def outage_database_url(postgres_admin: str) -> Iterator[str]:
    with fresh_database(postgres_admin) as url:
        yield url


@pytest.fixture(scope="module")
def own_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNats]:
    server = LocalNats(tmp_path_factory.mktemp("outage-nats"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def gateway(
    own_nats: LocalNats, outage_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GatewaySettings]:
    settings = load_settings(
        GatewaySettings,
        environ={},
        nats_url=own_nats.url,
        database_url=outage_database_url,
        http_port=free_port(),
        smtp_port=free_port(),
        relay_port=free_port(),
        support_addresses=SUPPORT_ADDRESS,
        blob_dir=str(tmp_path_factory.mktemp("outage-blobs")),
        log_level="warning",
    )
    async with serving(create_app(settings), settings.http_port):
        yield settings


def customer_message() -> tuple[bytes, str]:
    message = EmailMessage()
    message_id = f"{uuid.uuid4().hex}@mail.customer.test"
    message["From"] = "jane@customer.test"
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = "Sent during an outage"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content("Hello")
    return message.as_bytes(policy=policy.SMTP), message_id


def send(port: int, raw: bytes) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo()
        client.mail("jane@customer.test")
        client.rcpt(SUPPORT_ADDRESS)
        code, reply = client.data(raw)
    return code, reply.decode()


async def raw_rows(database_url: str, message_id: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetch(
            "SELECT id, status FROM email_gateway.raw_messages WHERE message_id = $1", message_id
        )
    finally:
        await connection.close()


async def published_event(nats_url: str, message_id: str) -> InboundEmailReceived | None:
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        last = await js.get_last_msg("MAIL", subjects.MAIL_INBOUND_RECEIVED)
        subscription = await js.subscribe(subjects.MAIL_INBOUND_RECEIVED, ordered_consumer=True)
        found = None
        while True:
            message = await subscription.next_msg(timeout=5)
            event = msgspec.json.decode(message.data, type=InboundEmailReceived)
            if event.message_id == message_id:
                found = event
            if message.metadata.sequence.stream >= last.seq:
                break
        await subscription.unsubscribe()
        return found
    finally:
        await connection.close()


async def test_smtp_nats_down_answers_451_then_accepts_retry(
    gateway: GatewaySettings, own_nats: LocalNats, outage_database_url: str
) -> None:
    raw, message_id = customer_message()
    await asyncio.to_thread(own_nats.stop)
    try:
        code, reply = await asyncio.to_thread(send, gateway.smtp_port, raw)
    finally:
        # The same port and folder: the gateway reconnects and the streams are still there.
        await asyncio.to_thread(own_nats.start)

    assert code == 451
    assert reply.startswith("4.3.0 ")
    stored = await raw_rows(outage_database_url, message_id)
    assert [row["status"] for row in stored] == ["received"]

    async def ready() -> bool:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway.http_port}") as client:
            return (await client.get("/ready")).status_code == 200

    await wait_until(ready, timeout=30)
    code, reply = await asyncio.to_thread(send, gateway.smtp_port, raw)

    assert code == 250
    assert reply == f"2.0.0 OK: queued as {stored[0]['id']}"
    after = await raw_rows(outage_database_url, message_id)
    assert [row["status"] for row in after] == ["published"]
    event = await published_event(own_nats.url, message_id)
    assert event is not None
    assert event.raw_message_id == stored[0]["id"]
