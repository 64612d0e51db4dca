"""Bounces: delivery status notifications matched to outbound deliveries, never tickets."""

import asyncio
import smtplib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import msgspec
import nats
import pytest
from nats.js.errors import NotFoundError

from email_gateway.app import create_app
from email_gateway.parsing import parse_email
from email_gateway.parsing.delivery_status import read_delivery_report
from email_gateway.settings import GatewaySettings
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import InboundEmailReceived, OutboundEmailBounced
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.settings import load_settings
from tests.support.servers import serving, wait_until

SUPPORT_ADDRESS = "support@helpdesk.test"


@pytest.fixture(scope="module")
async def smtp_port(
    nats_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[int]:
    settings = load_settings(
        GatewaySettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        http_port=free_port(),
        smtp_port=free_port(),
        relay_port=free_port(),
        support_addresses=SUPPORT_ADDRESS,
        blob_dir=str(tmp_path_factory.mktemp("bounce-blobs")),
        log_level="warning",
    )
    async with serving(create_app(settings), settings.http_port):
        yield settings.smtp_port


class SentReply(msgspec.Struct):
    ticket_id: uuid.UUID
    interaction_id: uuid.UUID
    message_id: str


async def sent_reply(database_url: str) -> SentReply:
    """Store a delivery row as the outbound consumer leaves it after a successful send."""
    reply = SentReply(uuid.uuid4(), uuid.uuid4(), f"{uuid.uuid4().hex}@helpdesk.test")
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "INSERT INTO email_gateway.outbound_deliveries"
            " (interaction_id, ticket_id, message_id, status, attempts, sent_at)"
            " VALUES ($1, $2, $3, 'sent', 1, now())",
            reply.interaction_id,
            reply.ticket_id,
            reply.message_id,
        )
    finally:
        await connection.close()
    return reply


async def delivery_row(database_url: str, interaction_id: uuid.UUID) -> asyncpg.Record:
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT * FROM email_gateway.outbound_deliveries WHERE interaction_id = $1",
            interaction_id,
        )
    finally:
        await connection.close()
    assert row is not None
    return row


async def raw_status(database_url: str, raw_id: uuid.UUID) -> str:
    connection = await asyncpg.connect(database_url)
    try:
        status = await connection.fetchval(
            "SELECT status FROM email_gateway.raw_messages WHERE id = $1", raw_id
        )
    finally:
        await connection.close()
    return str(status)


async def stream_messages(nats_url: str, subject: str) -> list[bytes]:
    """Read every message on `subject` in the MAIL stream with an ordered consumer."""
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        try:
            last = await js.get_last_msg("MAIL", subject)
        except NotFoundError:
            return []
        subscription = await js.subscribe(subject, ordered_consumer=True)
        payloads = []
        while True:
            message = await subscription.next_msg(timeout=5)
            payloads.append(message.data)
            if message.metadata.sequence.stream >= last.seq:
                break
        await subscription.unsubscribe()
        return payloads
    finally:
        await connection.close()


async def bounced_events(nats_url: str, interaction_id: uuid.UUID) -> list[OutboundEmailBounced]:
    events = [
        msgspec.json.decode(payload, type=OutboundEmailBounced)
        for payload in await stream_messages(nats_url, subjects.MAIL_OUTBOUND_BOUNCED)
    ]
    return [event for event in events if event.interaction_id == interaction_id]


async def inbound_message_ids(nats_url: str) -> set[str]:
    payloads = await stream_messages(nats_url, subjects.MAIL_INBOUND_RECEIVED)
    return {msgspec.json.decode(p, type=InboundEmailReceived).message_id for p in payloads}


def send_bounce(port: int, raw: bytes) -> uuid.UUID:
    """Deliver a bounce with the null reverse path, as MTAs do, and return its raw id."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        client.mail("<>")
        client.rcpt(SUPPORT_ADDRESS)
        code, reply = client.data(raw)
    assert code == 250, reply
    return uuid.UUID(reply.decode().rsplit(" ", 1)[-1])


def rfc3464_bounce(dsn_id: str, returned_part: str, status: str = "5.1.1") -> bytes:
    """A Postfix-style report from a sender without a domain, as some MTAs sign it."""
    return f"""\
From: MAILER-DAEMON
To: {SUPPORT_ADDRESS}
Subject: Undelivered Mail Returned to Sender
Date: Fri, 04 Dec 2026 12:00:00 +0000
Message-ID: <{dsn_id}>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

The mail system could not deliver your message to jane@customer.test.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.test

Final-Recipient: rfc822; jane@customer.test
Original-Recipient: rfc822;jane@customer.test
Action: failed
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <jane@customer.test>: Recipient address
 rejected: User unknown in local recipient table

--b1
{returned_part}
--b1--
""".replace("\n", "\r\n").encode()


def returned_message(message_id: str, ticket_id: uuid.UUID) -> str:
    return f"""\
Content-Type: message/rfc822

From: Support <{SUPPORT_ADDRESS}>
To: jane@customer.test
Subject: Re: Printer on fire
Message-ID: <{message_id}>
X-Helpdesk-Ticket: {ticket_id}

We are sending the fire brigade.
"""


def returned_headers_without_id(ticket_id: uuid.UUID) -> str:
    return f"""\
Content-Type: text/rfc822-headers

From: Support <{SUPPORT_ADDRESS}>
To: jane@customer.test
Subject: Re: Printer on fire
X-Helpdesk-Ticket: {ticket_id}
"""


def dsn_message_id() -> str:
    return f"{uuid.uuid4().hex}@mx.customer.test"


def test_report_read_from_embedded_message() -> None:
    ticket_id = uuid.uuid4()
    raw = rfc3464_bounce(dsn_message_id(), returned_message("reply-1@helpdesk.test", ticket_id))

    report = read_delivery_report(raw)

    assert report is not None
    assert report.message_ids == ("reply-1@helpdesk.test",)
    assert report.ticket_ids == (str(ticket_id),)
    assert len(report.recipients) == 1
    assert report.recipients[0].recipient == "jane@customer.test"
    assert report.recipients[0].status == "5.1.1"
    assert "User unknown" in report.recipients[0].diagnostic


def test_report_absent_for_customer_mail() -> None:
    raw = (
        b"From: jane@customer.test\r\nTo: support@helpdesk.test\r\n"
        b"Subject: hello\r\nMessage-ID: <x@customer.test>\r\n\r\nHello\r\n"
    )

    assert read_delivery_report(raw) is None


def test_report_of_delay_names_no_failure() -> None:
    raw = rfc3464_bounce(dsn_message_id(), returned_message("r@helpdesk.test", uuid.uuid4()))
    raw = raw.replace(b"Action: failed", b"Action: delayed")

    report = read_delivery_report(raw)

    assert report is not None
    assert report.recipients == ()
    assert report.has_status_part


def test_plain_text_bounce_quotes_headers() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.customer.test\r\nTo: support@helpdesk.test\r\n"
        b"Subject: failure notice\r\nX-Failed-Recipients: jane@customer.test\r\n\r\n"
        b"Sorry, I couldn't deliver your message.\r\n\r\n"
        b"--- Below this line is a copy of the message.\r\n\r\n"
        b"Message-ID: <quoted@helpdesk.test>\r\nSubject: Re: hi\r\n\r\nbody\r\n"
    )

    report = read_delivery_report(raw)

    assert report is not None
    assert report.message_ids == ("quoted@helpdesk.test",)
    assert [r.recipient for r in report.recipients] == ["jane@customer.test"]


def test_parser_accepts_domainless_daemon_in_report() -> None:
    raw = rfc3464_bounce(dsn_message_id(), returned_message("r@helpdesk.test", uuid.uuid4()))

    parsed = parse_email(raw)

    assert parsed.sender.address == "mailer-daemon@invalid"
    assert parsed.auto_submitted


async def test_bounce_marks_delivery_failed(
    smtp_port: int, nats_url: str, database_url: str
) -> None:
    reply = await sent_reply(database_url)
    dsn_id = dsn_message_id()
    raw = rfc3464_bounce(dsn_id, returned_message(reply.message_id, reply.ticket_id))

    raw_id = await asyncio.to_thread(send_bounce, smtp_port, raw)

    assert await raw_status(database_url, raw_id) == "bounce"
    row = await delivery_row(database_url, reply.interaction_id)
    assert row["status"] == "failed"
    assert "5.1.1" in row["last_error"]
    assert "User unknown" in row["last_error"]

    events = await wait_until(lambda: bounced_events(nats_url, reply.interaction_id))
    assert len(events) == 1
    assert events[0].ticket_id == reply.ticket_id
    assert events[0].message_id == reply.message_id
    assert events[0].recipient == "jane@customer.test"
    assert events[0].status == "5.1.1"
    assert "User unknown" in events[0].diagnostic
    assert dsn_id not in await inbound_message_ids(nats_url)


async def test_bounce_matched_by_ticket_header(
    smtp_port: int, nats_url: str, database_url: str
) -> None:
    reply = await sent_reply(database_url)
    raw = rfc3464_bounce(
        dsn_message_id(), returned_headers_without_id(reply.ticket_id), status="5.2.2"
    )

    raw_id = await asyncio.to_thread(send_bounce, smtp_port, raw)

    assert await raw_status(database_url, raw_id) == "bounce"
    events = await wait_until(lambda: bounced_events(nats_url, reply.interaction_id))
    assert [event.status for event in events] == ["5.2.2"]


async def test_bounce_unmatched_is_recorded(
    smtp_port: int, nats_url: str, database_url: str
) -> None:
    dsn_id = dsn_message_id()
    raw = rfc3464_bounce(dsn_id, returned_message("unknown@elsewhere.test", uuid.uuid4()))

    raw_id = await asyncio.to_thread(send_bounce, smtp_port, raw)

    assert await raw_status(database_url, raw_id) == "bounce_unmatched"
    assert dsn_id not in await inbound_message_ids(nats_url)


async def test_delay_report_leaves_delivery_sent(smtp_port: int, database_url: str) -> None:
    reply = await sent_reply(database_url)
    raw = rfc3464_bounce(dsn_message_id(), returned_message(reply.message_id, reply.ticket_id))
    raw = raw.replace(b"Action: failed", b"Action: delayed")

    raw_id = await asyncio.to_thread(send_bounce, smtp_port, raw)

    assert await raw_status(database_url, raw_id) == "bounce"
    row = await delivery_row(database_url, reply.interaction_id)
    assert row["status"] == "sent"
