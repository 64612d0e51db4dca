"""Outbound replies: from `mail.outbound.requested` through a real SMTP relay to the outcome."""

import asyncio
import contextlib
import email
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

import asyncpg
import msgspec
import nats
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from nats.js.errors import NotFoundError

from email_gateway.app import create_app
from email_gateway.mail_sink import running_mail_sink
from email_gateway.outbound import OUTBOUND_CONSUMER
from email_gateway.settings import GatewaySettings
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import (
    EmailAddress,
    Message,
    OutboundEmailFailed,
    OutboundEmailRequested,
    OutboundEmailSent,
)
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.messaging import encode
from helpdesk_runtime.settings import load_settings
from tests.support.servers import serving, wait_until

MAX_ATTEMPTS = 3
EventT = TypeVar("EventT", bound=Message)


@dataclass
class Gateway:
    relay_port: int


@pytest.fixture(scope="module")
async def gateway(nats_url: str, database_url: str) -> AsyncIterator[Gateway]:
    settings = load_settings(
        GatewaySettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        http_port=free_port(),
        smtp_port=free_port(),
        relay_port=free_port(),
        relay_timeout_seconds=5.0,
        outbound_max_attempts=MAX_ATTEMPTS,
        log_level="warning",
    )
    async with serving(create_app(settings), settings.http_port):
        yield Gateway(relay_port=settings.relay_port)


def reply_request(**overrides: object) -> OutboundEmailRequested:
    fields: dict[str, object] = {
        "ticket_id": uuid.uuid4(),
        "interaction_id": uuid.uuid4(),
        "message_id": f"{uuid.uuid4().hex}@helpdesk.test",
        "in_reply_to": "first@mail.customer.test",
        "references": ("first@mail.customer.test", "second@mail.customer.test"),
        "sender": EmailAddress("support@helpdesk.test", "Helpdesk Support"),
        "to": (EmailAddress("jane@customer.test", "Jane Roe"),),
        "cc": (EmailAddress("bob@customer.test"),),
        "subject": f"Re: Printer on fire [{uuid.uuid4().hex[:6]}]",
        "text_body": "We are sending the fire brigade.\nGrüße, Support",
    }
    fields.update(overrides)
    return OutboundEmailRequested(**fields)  # type: ignore[arg-type]


async def publish_request(nats_url: str, request: OutboundEmailRequested, msg_id: str) -> int:
    """Publish a request with the given Nats-Msg-Id; return its stream sequence."""
    connection = await nats.connect(nats_url)
    try:
        ack = await connection.jetstream().publish(
            subjects.MAIL_OUTBOUND_REQUESTED, encode(request), headers={"Nats-Msg-Id": msg_id}
        )
    finally:
        await connection.close()
    return ack.seq


async def stream_events(nats_url: str, subject: str, event_type: type[EventT]) -> list[EventT]:
    """Read every event on `subject` with an ephemeral ordered consumer."""
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        try:
            last = await js.get_last_msg("MAIL", subject)
        except NotFoundError:
            return []

        subscription = await js.subscribe(subject, ordered_consumer=True)
        events = []
        while True:
            message = await subscription.next_msg(timeout=5)
            events.append(msgspec.json.decode(message.data, type=event_type))
            if message.metadata.sequence.stream >= last.seq:
                break
        await subscription.unsubscribe()
        return events
    finally:
        await connection.close()


async def sent_events(nats_url: str, interaction_id: uuid.UUID) -> list[OutboundEmailSent]:
    events = await stream_events(nats_url, subjects.MAIL_OUTBOUND_SENT, OutboundEmailSent)
    return [event for event in events if event.interaction_id == interaction_id]


async def failed_events(nats_url: str, interaction_id: uuid.UUID) -> list[OutboundEmailFailed]:
    events = await stream_events(nats_url, subjects.MAIL_OUTBOUND_FAILED, OutboundEmailFailed)
    return [event for event in events if event.interaction_id == interaction_id]


def stored_mail(directory: Path, message_id: str) -> list[EmailMessage]:
    found = []
    for path in sorted(directory.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if str(parsed["Message-ID"]).strip() == f"<{message_id}>":
            found.append(parsed)
    return found  # type: ignore[return-value]


async def delivery_row(database_url: str, interaction_id: uuid.UUID) -> asyncpg.Record | None:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchrow(
            "SELECT * FROM email_gateway.outbound_deliveries WHERE interaction_id = $1",
            interaction_id,
        )
    finally:
        await connection.close()


async def test_outbound_reply_sent_with_threading_headers(
    gateway: Gateway, nats_url: str, database_url: str, tmp_path: Path
) -> None:
    request = reply_request()

    async with running_mail_sink(tmp_path, gateway.relay_port):
        await publish_request(nats_url, request, msg_id=str(request.id))

        async def delivered() -> list[EmailMessage]:
            return stored_mail(tmp_path, request.message_id)

        sent = (await wait_until(delivered, timeout=20))[0]

    assert str(sent["From"]) == "Helpdesk Support <support@helpdesk.test>"
    assert str(sent["To"]) == "Jane Roe <jane@customer.test>"
    assert str(sent["Cc"]) == "bob@customer.test"
    assert str(sent["Subject"]) == request.subject
    assert str(sent["In-Reply-To"]) == "<first@mail.customer.test>"
    assert str(sent["References"]) == "<first@mail.customer.test> <second@mail.customer.test>"
    assert str(sent["X-Helpdesk-Ticket"]) == str(request.ticket_id)
    assert sent["Date"] is not None
    assert sent["Auto-Submitted"] is None
    assert sent["Return-Path"] == "<support@helpdesk.test>"
    assert sorted(sent.get_all("Delivered-To")) == ["bob@customer.test", "jane@customer.test"]
    body = sent.get_body(preferencelist=("plain",))
    assert body is not None
    # The sink stores the message as it came over the wire, with CRLF line ends.
    text = body.get_content().replace("\r\n", "\n")
    assert text == "We are sending the fire brigade.\nGrüße, Support\n"

    events = await wait_until(lambda: sent_events(nats_url, request.interaction_id), timeout=10)
    assert events[0].message_id == request.message_id
    assert events[0].ticket_id == request.ticket_id
    assert events[0].attempts == 1
    row = await delivery_row(database_url, request.interaction_id)
    assert row is not None
    assert row["status"] == "sent"
    assert row["attempts"] == 1
    assert row["sent_at"] is not None


async def test_outbound_html_alternative_included(
    gateway: Gateway, nats_url: str, tmp_path: Path
) -> None:
    request = reply_request(html_body="<p>We are sending the <b>fire brigade</b>.</p>")

    async with running_mail_sink(tmp_path, gateway.relay_port):
        await publish_request(nats_url, request, msg_id=str(request.id))

        async def delivered() -> list[EmailMessage]:
            return stored_mail(tmp_path, request.message_id)

        sent = (await wait_until(delivered, timeout=20))[0]

    assert sent.get_content_type() == "multipart/alternative"
    html = sent.get_body(preferencelist=("html",))
    assert html is not None
    assert "<b>fire brigade</b>" in html.get_content()


async def test_outbound_reply_to_written(gateway: Gateway, nats_url: str, tmp_path: Path) -> None:
    team = EmailAddress("billing@helpdesk.test", "Helpdesk Billing")
    request = reply_request(sender=team, reply_to=(team,))
    without_reply_to = reply_request()

    async with running_mail_sink(tmp_path, gateway.relay_port):
        await publish_request(nats_url, request, msg_id=str(request.id))
        await publish_request(nats_url, without_reply_to, msg_id=str(without_reply_to.id))

        async def both_delivered() -> bool:
            return all(
                stored_mail(tmp_path, message_id)
                for message_id in (request.message_id, without_reply_to.message_id)
            )

        await wait_until(both_delivered, timeout=20)

    [sent] = stored_mail(tmp_path, request.message_id)
    [plain] = stored_mail(tmp_path, without_reply_to.message_id)
    assert str(sent["From"]) == "Helpdesk Billing <billing@helpdesk.test>"
    assert str(sent["Reply-To"]) == "Helpdesk Billing <billing@helpdesk.test>"
    assert sent["Return-Path"] == "<billing@helpdesk.test>"
    assert plain["Reply-To"] is None


async def consumer_acknowledged(nats_url: str, stream_sequence: int) -> bool:
    connection = await nats.connect(nats_url)
    try:
        info = await connection.jetstream().consumer_info("MAIL", OUTBOUND_CONSUMER)
    finally:
        await connection.close()
    return info.ack_floor.stream_seq >= stream_sequence


async def test_outbound_redelivered_request_sent_once(
    gateway: Gateway, nats_url: str, database_url: str, tmp_path: Path
) -> None:
    request = reply_request()

    async with running_mail_sink(tmp_path, gateway.relay_port):
        await publish_request(nats_url, request, msg_id=f"{request.id}-first")
        second = await publish_request(nats_url, request, msg_id=f"{request.id}-again")
        await wait_until(lambda: consumer_acknowledged(nats_url, second), timeout=20)

    assert len(stored_mail(tmp_path, request.message_id)) == 1
    events = await wait_until(lambda: sent_events(nats_url, request.interaction_id), timeout=10)
    assert len(events) == 1
    row = await delivery_row(database_url, request.interaction_id)
    assert row is not None
    assert row["attempts"] == 1


async def test_outbound_relay_down_then_retried(
    gateway: Gateway, nats_url: str, database_url: str, tmp_path: Path
) -> None:
    request = reply_request()
    await publish_request(nats_url, request, msg_id=str(request.id))

    async def failed_once() -> bool:
        row = await delivery_row(database_url, request.interaction_id)
        return row is not None and row["attempts"] >= 1 and row["last_error"] is not None

    await wait_until(failed_once, timeout=20)
    pending = await delivery_row(database_url, request.interaction_id)
    assert pending is not None
    assert pending["status"] == "pending"
    assert "could not be reached" in pending["last_error"]

    async with running_mail_sink(tmp_path, gateway.relay_port):

        async def delivered() -> list[EmailMessage]:
            return stored_mail(tmp_path, request.message_id)

        await wait_until(delivered, timeout=20)

    events = await wait_until(lambda: sent_events(nats_url, request.interaction_id), timeout=10)
    assert events[0].attempts >= 2
    row = await delivery_row(database_url, request.interaction_id)
    assert row is not None
    assert row["status"] == "sent"
    assert row["last_error"] is None


class RejectingHandler:
    """SMTP server hooks that reply to RCPT or DATA with a fixed reply."""

    def __init__(self, rcpt_reply: str | None = None, data_reply: str | None = None) -> None:
        self.rcpt_reply = rcpt_reply
        self.data_reply = data_reply
        self.data_commands = 0

    async def handle_RCPT(  # noqa: N802 (aiosmtpd finds hooks by this name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd finds hooks by this name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.data_commands += 1
        return self.data_reply or "250 OK"


@contextlib.asynccontextmanager
async def rejecting_relay(port: int, handler: RejectingHandler) -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="relay.test"), "127.0.0.1", port
    )
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


async def test_outbound_permanent_rejection_fails_at_once(
    gateway: Gateway, nats_url: str, database_url: str
) -> None:
    request = reply_request()
    handler = RejectingHandler(rcpt_reply="550 5.1.1 <jane@customer.test>: no such user")

    async with rejecting_relay(gateway.relay_port, handler):
        await publish_request(nats_url, request, msg_id=str(request.id))
        events = await wait_until(
            lambda: failed_events(nats_url, request.interaction_id), timeout=20
        )

    assert events[0].attempts == 1
    assert "550" in events[0].error
    assert events[0].message_id == request.message_id
    row = await delivery_row(database_url, request.interaction_id)
    assert row is not None
    assert row["status"] == "failed"
    assert row["attempts"] == 1


async def test_outbound_transient_failures_exhaust_attempts(
    gateway: Gateway, nats_url: str, database_url: str
) -> None:
    request = reply_request()
    handler = RejectingHandler(data_reply="451 4.3.0 Try again later")

    async with rejecting_relay(gateway.relay_port, handler):
        await publish_request(nats_url, request, msg_id=str(request.id))
        events = await wait_until(
            lambda: failed_events(nats_url, request.interaction_id), timeout=30
        )

    assert events[0].attempts == MAX_ATTEMPTS
    assert "451" in events[0].error
    assert handler.data_commands == MAX_ATTEMPTS
    assert await sent_events(nats_url, request.interaction_id) == []
    row = await delivery_row(database_url, request.interaction_id)
    assert row is not None
    assert row["status"] == "failed"
    assert row["attempts"] == MAX_ATTEMPTS


async def test_outbound_invalid_address_fails(gateway: Gateway, nats_url: str) -> None:
    request = reply_request(to=(EmailAddress("not an address"),))

    await publish_request(nats_url, request, msg_id=str(request.id))
    events = await wait_until(lambda: failed_events(nats_url, request.interaction_id), timeout=20)

    assert events[0].attempts == 1
    assert "not an address" in events[0].error
