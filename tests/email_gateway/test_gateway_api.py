"""The gateway's HTTP API, its accounting helper and the republisher of stored messages."""

import asyncio
import hashlib
import smtplib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

import asyncpg
import httpx
import msgspec
import nats
import pytest

from email_gateway.accounting import raw_message_outcomes
from email_gateway.app import create_app
from email_gateway.models import RawStatus
from email_gateway.settings import GatewaySettings
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import InboundEmailReceived
from helpdesk_runtime.database import create_engine, create_session_factory
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.settings import load_settings
from tests.support.servers import serving, wait_until

SUPPORT_ADDRESS = "support@helpdesk.test"


@dataclass
class Gateway:
    base_url: str
    smtp_port: int


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
        blob_dir=str(tmp_path_factory.mktemp("api-blobs")),
        republish_interval_seconds=0.2,
        log_level="warning",
    )
    async with serving(create_app(settings), settings.http_port) as base_url:
        yield Gateway(base_url=base_url, smtp_port=settings.smtp_port)


def customer_message(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Jane Roe <jane@customer.test>"
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@mail.customer.test>"
    message.set_content("Hello")
    return message


def send(port: int, raw: bytes) -> uuid.UUID:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        client.mail("jane@customer.test")
        client.rcpt(SUPPORT_ADDRESS)
        code, reply = client.data(raw)
    assert code == 250, reply
    return uuid.UUID(reply.decode().rsplit(" ", 1)[-1])


async def send_async(port: int, raw: bytes) -> uuid.UUID:
    return await asyncio.to_thread(send, port, raw)


async def test_gateway_quarantine_lists_message(gateway: Gateway) -> None:
    raw = f"Subject: nobody {uuid.uuid4().hex}\r\n\r\nhello\r\n".encode()
    raw_id = await send_async(gateway.smtp_port, raw)

    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        response = await client.get("/quarantine")

    assert response.status_code == 200
    entries = {entry["id"]: entry for entry in response.json()}
    entry = entries[str(raw_id)]
    assert "sender" in entry["reason"]
    assert entry["size"] == len(raw)
    assert entry["envelope_from"] == "jane@customer.test"
    assert entry["received_at"]


async def test_gateway_quarantine_counted_in_metrics(gateway: Gateway) -> None:
    await send_async(gateway.smtp_port, f"Subject: {uuid.uuid4().hex}\r\n\r\nhi\r\n".encode())

    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        metrics = (await client.get("/metrics")).text

    assert 'email_inbound_messages_total{outcome="quarantined"}' in metrics


async def test_gateway_raw_message_metadata(gateway: Gateway) -> None:
    message = customer_message(f"Metadata {uuid.uuid4().hex}")
    raw = message.as_bytes(policy=policy.SMTP)
    raw_id = await send_async(gateway.smtp_port, raw)

    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        metadata = await client.get(f"/raw-messages/{raw_id}")
        download = await client.get(f"/raw-messages/{raw_id}/raw")

    assert metadata.status_code == 200
    body = metadata.json()
    assert body["status"] == "published"
    assert body["sha256"] == hashlib.sha256(raw).hexdigest()
    assert body["size"] == len(raw)
    assert body["message_id"] == str(message["Message-ID"]).strip("<>")
    assert body["envelope_recipients"] == [SUPPORT_ADDRESS]
    assert body["quarantine_reason"] is None
    assert body["published_at"] is not None
    assert "raw" not in body
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("message/rfc822")
    assert download.content == raw


async def test_gateway_unknown_raw_message_404(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        response = await client.get(f"/raw-messages/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_gateway_attachment_download(gateway: Gateway) -> None:
    message = customer_message(f"Attachment {uuid.uuid4().hex}")
    content = b"GIF89a" + uuid.uuid4().bytes
    message.add_attachment(content, maintype="image", subtype="gif", filename="logo.gif")
    await send_async(gateway.smtp_port, message.as_bytes(policy=policy.SMTP))
    sha256 = hashlib.sha256(content).hexdigest()

    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        found = await client.get(f"/attachments/{sha256}")
        missing = await client.get(f"/attachments/{'0' * 64}")
        invalid = await client.get("/attachments/..%2F..%2Fetc%2Fpasswd")

    assert found.status_code == 200
    assert found.content == content
    assert missing.status_code == 404
    assert invalid.status_code in {400, 404}


async def test_gateway_openapi_and_health(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        schema = await client.get("/schema/openapi.json")
        ready = await client.get("/ready")

    assert schema.status_code == 200
    assert "/quarantine" in schema.json()["paths"]
    assert ready.status_code == 200


async def test_gateway_accounting_reports_outcomes(gateway: Gateway, database_url: str) -> None:
    published = await send_async(
        gateway.smtp_port, customer_message("Counted").as_bytes(policy=policy.SMTP)
    )
    quarantined = await send_async(
        gateway.smtp_port, f"Subject: {uuid.uuid4().hex}\r\n\r\nx\r\n".encode()
    )
    unknown = uuid.uuid4()

    engine = create_engine(database_url, pool_size=1)
    try:
        async with create_session_factory(engine)() as session:
            outcomes = await raw_message_outcomes(session, [published, quarantined, unknown])
    finally:
        await engine.dispose()

    assert set(outcomes) == {published, quarantined}
    assert outcomes[published].status is RawStatus.PUBLISHED
    assert outcomes[published].quarantine_reason is None
    assert outcomes[quarantined].status is RawStatus.QUARANTINED
    assert outcomes[quarantined].quarantine_reason


async def inbound_event_of(nats_url: str, raw_id: uuid.UUID) -> InboundEmailReceived | None:
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        last = await js.get_last_msg("MAIL", subjects.MAIL_INBOUND_RECEIVED)
        subscription = await js.subscribe(subjects.MAIL_INBOUND_RECEIVED, ordered_consumer=True)
        found = None
        while True:
            message = await subscription.next_msg(timeout=5)
            event = msgspec.json.decode(message.data, type=InboundEmailReceived)
            if event.raw_message_id == raw_id:
                found = event
            if message.metadata.sequence.stream >= last.seq:
                break
        await subscription.unsubscribe()
        return found
    finally:
        await connection.close()


async def test_gateway_republishes_stuck_message(
    gateway: Gateway, nats_url: str, database_url: str
) -> None:
    # A row as a crash between storing and publishing leaves it: stored, never published.
    message = customer_message(f"Stuck {uuid.uuid4().hex}")
    raw = message.as_bytes(policy=policy.SMTP)
    raw_id = uuid.uuid4()
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            """
            INSERT INTO email_gateway.raw_messages
                (id, sha256, size, raw, envelope_from, envelope_recipients, received_at, status)
            VALUES ($1, $2, $3, $4, 'jane@customer.test', $5, now() - interval '5 minutes',
                    'received')
            """,
            raw_id,
            hashlib.sha256(raw).hexdigest(),
            len(raw),
            raw,
            [SUPPORT_ADDRESS],
        )

        async def published() -> bool:
            status = await connection.fetchval(
                "SELECT status FROM email_gateway.raw_messages WHERE id = $1", raw_id
            )
            return bool(status == "published")

        await wait_until(published, timeout=15)
    finally:
        await connection.close()

    event = await inbound_event_of(nats_url, raw_id)
    assert event is not None
    assert event.subject == str(message["Subject"])
    assert event.envelope_recipients == (SUPPORT_ADDRESS,)


async def test_gateway_leaves_fresh_received_rows(gateway: Gateway, database_url: str) -> None:
    # A row younger than republish_after_seconds may still be in the SMTP path.
    raw = customer_message(f"Fresh {uuid.uuid4().hex}").as_bytes(policy=policy.SMTP)
    raw_id = uuid.uuid4()
    marker = uuid.uuid4()
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            """
            INSERT INTO email_gateway.raw_messages
                (id, sha256, size, raw, envelope_from, envelope_recipients, status)
            VALUES ($1, $2, $3, $4, 'jane@customer.test', $5, 'received')
            """,
            raw_id,
            hashlib.sha256(raw).hexdigest(),
            len(raw),
            raw,
            [SUPPORT_ADDRESS],
        )
        # A stuck row inserted after the fresh one: once it is published, the
        # republisher has run a pass that saw the fresh row too.
        stuck = customer_message(f"Marker {marker}").as_bytes(policy=policy.SMTP)
        await connection.execute(
            """
            INSERT INTO email_gateway.raw_messages
                (id, sha256, size, raw, envelope_from, envelope_recipients, received_at, status)
            VALUES ($1, $2, $3, $4, 'jane@customer.test', $5, now() - interval '5 minutes',
                    'received')
            """,
            marker,
            hashlib.sha256(stuck).hexdigest(),
            len(stuck),
            stuck,
            [SUPPORT_ADDRESS],
        )

        async def marker_published() -> bool:
            status = await connection.fetchval(
                "SELECT status FROM email_gateway.raw_messages WHERE id = $1", marker
            )
            return bool(status == "published")

        await wait_until(marker_published, timeout=15)
        fresh_status = await connection.fetchval(
            "SELECT status FROM email_gateway.raw_messages WHERE id = $1", raw_id
        )
        # Publish it through the SMTP path, so the row does not stay behind unpublished.
        await send_async(gateway.smtp_port, raw)
    finally:
        await connection.close()

    assert fresh_status == "received"
