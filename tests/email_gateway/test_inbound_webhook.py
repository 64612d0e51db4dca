"""`POST /inbound/raw`: raw messages over HTTP with a shared secret, through the SMTP pipeline."""

import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage

import asyncpg
import httpx
import msgspec
import nats
import pytest
from nats.js.errors import NotFoundError

from email_gateway.app import create_app
from email_gateway.settings import GatewaySettings
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import InboundEmailReceived
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.settings import load_settings
from tests.support.servers import serving

SECRET = "webhook-secret-for-tests"
MAX_MESSAGE_BYTES = 64 * 1024
MAX_ATTACHMENTS = 2
MAX_ATTACHMENT_BYTES = 1000


def gateway_settings(
    nats_url: str, database_url: str, blob_dir: str, webhook_secret: str
) -> GatewaySettings:
    return load_settings(
        GatewaySettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        http_port=free_port(),
        smtp_port=free_port(),
        relay_port=free_port(),
        blob_dir=blob_dir,
        max_message_bytes=MAX_MESSAGE_BYTES,
        webhook_secret=webhook_secret,
        max_attachments=MAX_ATTACHMENTS,
        max_attachment_bytes=MAX_ATTACHMENT_BYTES,
        log_level="warning",
    )


@pytest.fixture(scope="module")
async def base_url(
    nats_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    blob_dir = str(tmp_path_factory.mktemp("webhook-blobs"))
    settings = gateway_settings(nats_url, database_url, blob_dir, SECRET)
    async with serving(create_app(settings), settings.http_port) as url:
        yield url


def customer_message(message_id: str, body: str = "My invoice is wrong.") -> bytes:
    message = EmailMessage()
    message["From"] = "Jane Roe <jane@customer.test>"
    message["To"] = "support@helpdesk.test"
    message["Subject"] = "Invoice"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content(body)
    return message.as_bytes()


async def post_raw(
    base_url: str, raw: bytes, authorization: str | None = f"Bearer {SECRET}"
) -> httpx.Response:
    headers = {"Content-Type": "message/rfc822"}
    if authorization is not None:
        headers["Authorization"] = authorization
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        return await client.post("/inbound/raw", content=raw, headers=headers)


async def published_event(nats_url: str, message_id: str) -> InboundEmailReceived | None:
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        try:
            last = await js.get_last_msg("MAIL", subjects.MAIL_INBOUND_RECEIVED)
        except NotFoundError:
            return None
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


async def raw_message_count(database_url: str, message_id: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM email_gateway.raw_messages WHERE message_id = $1", message_id
        )
    finally:
        await connection.close()
    return int(count)


async def test_webhook_accepts_after_publish(base_url: str, nats_url: str) -> None:
    message_id = f"{uuid.uuid4().hex}@customer.test"

    response = await post_raw(base_url, customer_message(message_id))

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "published"
    assert body["message_id"] == message_id
    # 202 comes after JetStream's ack, so the event is already in the stream.
    event = await published_event(nats_url, message_id)
    assert event is not None
    assert str(event.raw_message_id) == body["raw_message_id"]
    assert event.sender.address == "jane@customer.test"


async def test_webhook_same_bytes_stored_once(base_url: str, database_url: str) -> None:
    message_id = f"{uuid.uuid4().hex}@customer.test"
    raw = customer_message(message_id)

    first = await post_raw(base_url, raw)
    second = await post_raw(base_url, raw)

    assert first.status_code == 202
    assert second.status_code == 202
    assert first.json()["raw_message_id"] == second.json()["raw_message_id"]
    assert await raw_message_count(database_url, message_id) == 1


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-secret", f"Basic {SECRET}", f"Bearer {SECRET}x", "Bearer"],
)
async def test_webhook_rejects_bad_secret(
    base_url: str, database_url: str, authorization: str | None
) -> None:
    message_id = f"{uuid.uuid4().hex}@customer.test"

    response = await post_raw(base_url, customer_message(message_id), authorization)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == 401
    assert await raw_message_count(database_url, message_id) == 0


async def test_webhook_rejects_oversized_body(base_url: str) -> None:
    raw = customer_message(f"{uuid.uuid4().hex}@customer.test", "x" * MAX_MESSAGE_BYTES)

    response = await post_raw(base_url, raw)

    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_webhook_rejects_json_body(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post(
            "/inbound/raw", json={"raw": "x"}, headers={"Authorization": f"Bearer {SECRET}"}
        )

    assert response.status_code == 415


async def test_webhook_quarantines_unparseable(base_url: str) -> None:
    response = await post_raw(base_url, b"just some text without headers " + uuid.uuid4().bytes)

    assert response.status_code == 202
    assert response.json()["status"] == "quarantined"
    assert response.json()["quarantine_reason"]


async def test_webhook_quarantines_own_message_id(base_url: str) -> None:
    ticket_id = uuid.uuid4()
    own_message_id = f"ticket.{ticket_id}.{uuid.uuid4()}@helpdesk.test"

    response = await post_raw(base_url, customer_message(own_message_id))

    assert response.status_code == 202
    assert response.json()["status"] == "quarantined"
    assert str(ticket_id) in response.json()["quarantine_reason"]


async def test_attachments_over_limits_rejected(base_url: str, nats_url: str) -> None:
    message_id = f"{uuid.uuid4().hex}@customer.test"
    message = EmailMessage()
    message["From"] = "jane@customer.test"
    message["To"] = "support@helpdesk.test"
    message["Subject"] = "Logs"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content("Logs attached.")
    for name, size in [("big.log", 5000), ("a.log", 10), ("b.log", 20), ("c.log", 30)]:
        message.add_attachment(b"x" * size, maintype="text", subtype="plain", filename=name)

    response = await post_raw(base_url, message.as_bytes())

    assert response.status_code == 202
    assert response.json()["status"] == "published"
    event = await published_event(nats_url, message_id)
    assert event is not None
    assert [attachment.filename for attachment in event.attachments] == ["a.log", "b.log"]
    rejected = [warning for warning in event.parse_warnings if "rejected" in warning]
    assert len(rejected) == 2
    assert "'big.log' (5000 bytes)" in rejected[0]
    assert "'c.log' (30 bytes)" in rejected[1]


async def test_webhook_absent_without_secret(
    nats_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    blob_dir = str(tmp_path_factory.mktemp("webhook-off-blobs"))
    settings = gateway_settings(nats_url, database_url, blob_dir, webhook_secret="")

    async with serving(create_app(settings), settings.http_port) as url:
        response = await post_raw(url, customer_message(f"{uuid.uuid4().hex}@customer.test"))

    assert response.status_code == 404
