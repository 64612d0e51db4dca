"""Inbound mail over SMTP: stored raw, parsed, published to JetStream, and the SMTP replies."""

import asyncio
import hashlib
import smtplib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

import asyncpg
import msgspec
import nats
import pytest
from nats.js.errors import NotFoundError

from email_gateway.app import create_app
from email_gateway.parsing import generated_message_id
from email_gateway.settings import GatewaySettings
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import InboundEmailReceived
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.settings import load_settings
from tests.support.servers import serving

SUPPORT_ADDRESS = "support@helpdesk.test"
MAX_MESSAGE_BYTES = 2 * 1024 * 1024


@dataclass
class Gateway:
    smtp_port: int
    blob_dir: Path


@dataclass
class DataReply:
    code: int
    text: str


@pytest.fixture(scope="module")
async def gateway(
    nats_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Gateway]:
    blob_dir = tmp_path_factory.mktemp("inbound-blobs")
    settings = load_settings(
        GatewaySettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        http_port=free_port(),
        smtp_port=free_port(),
        relay_port=free_port(),
        support_addresses=f"{SUPPORT_ADDRESS}, other-team@helpdesk.test",
        max_message_bytes=MAX_MESSAGE_BYTES,
        blob_dir=str(blob_dir),
        log_level="warning",
    )
    async with serving(create_app(settings), settings.http_port):
        yield Gateway(smtp_port=settings.smtp_port, blob_dir=blob_dir)


def customer_message(
    subject: str = "Printer on fire",
    body: str = "It is on fire. Please help.",
    message_id: str | None = None,
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Jane Roe <jane@customer.test>"
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = subject
    message["Date"] = "Fri, 04 Dec 2026 10:00:00 +0000"
    message["Message-ID"] = f"<{message_id or uuid.uuid4().hex + '@mail.customer.test'}>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def as_bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=policy.SMTP)


def send(
    port: int,
    raw: bytes,
    recipients: tuple[str, ...] = (SUPPORT_ADDRESS,),
    sender: str = "jane@customer.test",
) -> DataReply:
    """Deliver `raw` in one SMTP session and return the reply to DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        code, reply = client.mail(sender)
        assert code == 250, reply
        for recipient in recipients:
            code, reply = client.rcpt(recipient)
            assert code == 250, reply
        code, reply = client.data(raw)
    return DataReply(code, reply.decode())


async def send_async(port: int, raw: bytes, **options: object) -> DataReply:
    return await asyncio.to_thread(send, port, raw, **options)  # type: ignore[arg-type]


def raw_id_of(reply: DataReply) -> uuid.UUID:
    return uuid.UUID(reply.text.rsplit(" ", 1)[-1])


async def inbound_events(nats_url: str) -> list[tuple[dict[str, str], InboundEmailReceived]]:
    """Read every event on mail.inbound.received with an ephemeral ordered consumer."""
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        try:
            last = await js.get_last_msg("MAIL", subjects.MAIL_INBOUND_RECEIVED)
        except NotFoundError:
            return []

        subscription = await js.subscribe(subjects.MAIL_INBOUND_RECEIVED, ordered_consumer=True)
        events = []
        while True:
            message = await subscription.next_msg(timeout=5)
            event = msgspec.json.decode(message.data, type=InboundEmailReceived)
            events.append((dict(message.headers or {}), event))
            if message.metadata.sequence.stream >= last.seq:
                break
        await subscription.unsubscribe()
        return events
    finally:
        await connection.close()


async def events_for(
    nats_url: str, message_id: str
) -> list[tuple[dict[str, str], InboundEmailReceived]]:
    return [(h, e) for h, e in await inbound_events(nats_url) if e.message_id == message_id]


async def raw_row(database_url: str, raw_id: uuid.UUID) -> asyncpg.Record:
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT * FROM email_gateway.raw_messages WHERE id = $1", raw_id
        )
    finally:
        await connection.close()
    assert row is not None, f"no raw message {raw_id}"
    return row


async def test_smtp_message_published_with_parsed_fields(
    gateway: Gateway, nats_url: str, database_url: str
) -> None:
    message_id = f"{uuid.uuid4().hex}@mail.customer.test"
    message = customer_message(
        subject="Drucker brennt, bitte helfen üä",
        body="It is on fire.\nPlease help.",
        message_id=message_id,
        Cc="Bob <bob@customer.test>",
        In_Reply_To="<earlier@helpdesk.test>",
        References="<root@helpdesk.test> <earlier@helpdesk.test>",
    )
    invoice = b"%PDF-1.4 invoice " + uuid.uuid4().bytes
    message.add_attachment(invoice, maintype="application", subtype="pdf", filename="invoice.pdf")
    raw = as_bytes(message)

    reply = await send_async(gateway.smtp_port, raw)

    assert reply.code == 250
    assert reply.text.startswith("2.0.0 OK: queued as ")
    raw_id = raw_id_of(reply)
    row = await raw_row(database_url, raw_id)
    assert row["status"] == "published"
    assert bytes(row["raw"]) == raw
    assert row["sha256"] == hashlib.sha256(raw).hexdigest()
    assert row["size"] == len(raw)
    assert row["envelope_from"] == "jane@customer.test"
    assert row["envelope_recipients"] == [SUPPORT_ADDRESS]
    assert row["message_id"] == message_id
    assert row["published_at"] is not None

    found = await events_for(nats_url, message_id)
    assert len(found) == 1
    headers, event = found[0]
    assert headers["Nats-Msg-Id"] == "mail-" + hashlib.sha256(message_id.encode()).hexdigest()
    assert event.raw_message_id == raw_id
    assert event.sender.address == "jane@customer.test"
    assert event.sender.name == "Jane Roe"
    assert [a.address for a in event.to] == [SUPPORT_ADDRESS]
    assert [a.address for a in event.cc] == ["bob@customer.test"]
    assert event.subject == "Drucker brennt, bitte helfen üä"
    assert event.in_reply_to == ("earlier@helpdesk.test",)
    assert event.references == ("root@helpdesk.test", "earlier@helpdesk.test")
    assert event.envelope_recipients == (SUPPORT_ADDRESS,)
    assert "It is on fire." in event.text_body
    assert event.sent_at is not None
    assert event.received_at == row["received_at"]

    assert len(event.attachments) == 1
    attachment = event.attachments[0]
    assert attachment.filename == "invoice.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(invoice)
    assert attachment.sha256 == hashlib.sha256(invoice).hexdigest()
    blob = gateway.blob_dir / attachment.sha256[:2] / attachment.sha256
    assert blob.read_bytes() == invoice


async def test_smtp_same_bytes_twice_kept_once(
    gateway: Gateway, nats_url: str, database_url: str
) -> None:
    message_id = f"{uuid.uuid4().hex}@mail.customer.test"
    raw = as_bytes(customer_message(message_id=message_id))

    first = await send_async(gateway.smtp_port, raw)
    second = await send_async(gateway.smtp_port, raw)

    assert first.code == 250
    assert second.code == 250
    assert raw_id_of(second) == raw_id_of(first)
    connection = await asyncpg.connect(database_url)
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM email_gateway.raw_messages WHERE sha256 = $1",
            hashlib.sha256(raw).hexdigest(),
        )
    finally:
        await connection.close()
    assert count == 1
    assert (await raw_row(database_url, raw_id_of(first)))["status"] == "published"
    assert len(await events_for(nats_url, message_id)) == 1


async def test_smtp_same_message_id_marked_duplicate(
    gateway: Gateway, nats_url: str, database_url: str
) -> None:
    message_id = f"{uuid.uuid4().hex}@mail.customer.test"
    original = as_bytes(customer_message(message_id=message_id))
    # The same message as relayed a second time: one more trace field, so other bytes.
    resent = b"Received: from relay.customer.test by mx.helpdesk.test\r\n" + original

    first = await send_async(gateway.smtp_port, original)
    second = await send_async(gateway.smtp_port, resent)

    assert first.code == 250
    assert second.code == 250
    assert raw_id_of(second) != raw_id_of(first)
    assert (await raw_row(database_url, raw_id_of(first)))["status"] == "published"
    duplicate = await raw_row(database_url, raw_id_of(second))
    assert duplicate["status"] == "duplicate"
    assert duplicate["message_id"] == message_id
    found = await events_for(nats_url, message_id)
    assert [event.raw_message_id for _, event in found] == [raw_id_of(first)]


async def test_smtp_message_without_sender_quarantined(
    gateway: Gateway, nats_url: str, database_url: str
) -> None:
    raw = f"Subject: no sender {uuid.uuid4().hex}\r\n\r\nhello\r\n".encode()

    reply = await send_async(gateway.smtp_port, raw)

    assert reply.code == 250
    assert reply.text.startswith("2.0.0 OK: quarantined as ")
    row = await raw_row(database_url, raw_id_of(reply))
    assert row["status"] == "quarantined"
    assert "sender" in row["quarantine_reason"]
    assert bytes(row["raw"]) == raw
    published = [e for _, e in await inbound_events(nats_url) if e.raw_message_id == row["id"]]
    assert published == []


async def test_smtp_own_reply_quarantined(gateway: Gateway, database_url: str) -> None:
    ticket_id = uuid.uuid4()
    message = customer_message(X_Helpdesk_Ticket=str(ticket_id))
    message.replace_header("From", f"Helpdesk <{SUPPORT_ADDRESS}>")

    reply = await send_async(gateway.smtp_port, as_bytes(message))

    assert reply.code == 250
    assert reply.text.startswith("2.0.0 OK: quarantined as ")
    row = await raw_row(database_url, raw_id_of(reply))
    assert row["status"] == "quarantined"
    assert str(ticket_id) in row["quarantine_reason"]
    assert row["message_id"] == str(message["Message-ID"]).strip("<>")


async def test_smtp_message_without_message_id_gets_generated_id(
    gateway: Gateway, nats_url: str
) -> None:
    message = customer_message(subject=f"No id {uuid.uuid4().hex}")
    del message["Message-ID"]
    raw = as_bytes(message)

    reply = await send_async(gateway.smtp_port, raw)

    assert reply.code == 250
    expected_id = generated_message_id(raw)
    found = await events_for(nats_url, expected_id)
    assert len(found) == 1
    assert found[0][1].raw_message_id == raw_id_of(reply)


def rcpt_reply(port: int, recipient: str) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        client.mail("jane@customer.test")
        code, reply = client.rcpt(recipient)
    return code, reply.decode()


async def test_smtp_unknown_recipient_rejected(gateway: Gateway) -> None:
    code, reply = await asyncio.to_thread(rcpt_reply, gateway.smtp_port, "sales@helpdesk.test")

    assert code == 550
    assert reply.startswith("5.1.1 ")


async def test_smtp_recipient_on_other_domain_rejected(gateway: Gateway) -> None:
    code, _ = await asyncio.to_thread(rcpt_reply, gateway.smtp_port, "support@elsewhere.test")

    assert code == 550


@pytest.mark.parametrize(
    "recipient",
    [
        "support+billing@helpdesk.test",
        "Support@HelpDesk.test",
        "other-team+urgent@helpdesk.test",
    ],
)
async def test_smtp_support_address_forms_accepted(
    gateway: Gateway, nats_url: str, recipient: str
) -> None:
    message_id = f"{uuid.uuid4().hex}@mail.customer.test"
    raw = as_bytes(customer_message(message_id=message_id))

    reply = await send_async(gateway.smtp_port, raw, recipients=(recipient,))

    assert reply.code == 250
    found = await events_for(nats_url, message_id)
    assert found[0][1].envelope_recipients == (recipient,)


def data_after_rejected_recipient(port: int) -> tuple[int, int]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        client.mail("jane@customer.test")
        rcpt_code, _ = client.rcpt("nobody@helpdesk.test")
        data_code, _ = client.docmd("DATA")
    return rcpt_code, data_code


async def test_smtp_data_without_accepted_recipient_refused(gateway: Gateway) -> None:
    rcpt_code, data_code = await asyncio.to_thread(data_after_rejected_recipient, gateway.smtp_port)

    assert rcpt_code == 550
    assert data_code == 503


async def test_smtp_oversize_message_rejected(gateway: Gateway, database_url: str) -> None:
    sender = f"big-{uuid.uuid4().hex[:8]}@customer.test"
    raw = as_bytes(customer_message(body="x")) + (b"y" * 76 + b"\r\n") * 30_000

    reply = await send_async(gateway.smtp_port, raw, sender=sender)

    assert reply.code == 552
    assert reply.text.startswith("5.3.4 ")
    connection = await asyncpg.connect(database_url)
    try:
        stored = await connection.fetchval(
            "SELECT count(*) FROM email_gateway.raw_messages WHERE envelope_from = $1", sender
        )
    finally:
        await connection.close()
    assert stored == 0


def mail_with_declared_size(port: int, size: int) -> tuple[int, str, bool]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        advertised = client.has_extn("size")
        code, reply = client.mail("jane@customer.test", options=[f"SIZE={size}"])
    return code, reply.decode(), advertised


async def test_smtp_oversize_single_line_rejected(gateway: Gateway) -> None:
    raw = as_bytes(customer_message(body="x")) + b"z" * (MAX_MESSAGE_BYTES + 10) + b"\r\n"

    reply = await send_async(gateway.smtp_port, raw)

    assert reply.code == 552
    assert reply.text.startswith("5.3.4 ")


async def test_smtp_declared_oversize_rejected_at_mail(gateway: Gateway) -> None:
    code, reply, advertised = await asyncio.to_thread(
        mail_with_declared_size, gateway.smtp_port, MAX_MESSAGE_BYTES + 1
    )

    assert advertised
    assert code == 552
    assert reply.startswith("5.3.4 ")


async def test_smtp_long_lines_accepted(gateway: Gateway, nats_url: str) -> None:
    message_id = f"{uuid.uuid4().hex}@mail.customer.test"
    header = as_bytes(customer_message(message_id=message_id, body="short"))
    head, _, _ = header.partition(b"\r\n\r\n")
    long_line = b"word " * 1000
    raw = head + b"\r\n\r\n" + long_line + b"\r\n"

    reply = await send_async(gateway.smtp_port, raw)

    assert reply.code == 250
    found = await events_for(nats_url, message_id)
    assert found[0][1].text_body.startswith("word word")


async def test_smtp_huge_body_cut_to_fit_event(
    gateway: Gateway, nats_url: str, database_url: str
) -> None:
    message_id = f"{uuid.uuid4().hex}@mail.customer.test"
    body = "".join(f"line {n} of a very long log file pasted into a mail\n" for n in range(30_000))
    raw = as_bytes(customer_message(message_id=message_id, body=body))
    assert MAX_MESSAGE_BYTES > len(raw) > 1024 * 1024

    reply = await send_async(gateway.smtp_port, raw)

    assert reply.code == 250
    assert (await raw_row(database_url, raw_id_of(reply)))["status"] == "published"
    event = (await events_for(nats_url, message_id))[0][1]
    assert event.text_body.startswith("line 0 of")
    assert len(event.text_body) < len(body)
    assert any("text body was cut" in warning for warning in event.parse_warnings)
