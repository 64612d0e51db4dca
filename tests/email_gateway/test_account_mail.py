"""Portal account mail and DKIM-signed outbound mail, through a real SMTP sink.

This module runs its own NATS server and database, because its gateway signs with DKIM
and would otherwise share the durable consumers of the other modules' gateways.
"""

import asyncio
import base64
import contextlib
import email
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import dkim
import nats
import pytest
import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from email_gateway.app import create_app
from email_gateway.dkim_signing import DkimConfigurationError, signer_from_settings
from email_gateway.mail_sink import running_mail_sink
from email_gateway.settings import GatewaySettings
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import (
    AccountEmailRequested,
    EmailAddress,
    Message,
    OutboundEmailRequested,
)
from helpdesk_runtime.local_servers import LocalNats, free_port
from helpdesk_runtime.messaging import encode
from helpdesk_runtime.settings import load_settings
from tests.support.infrastructure import fresh_database
from tests.support.servers import serving, wait_until

SUPPORT_ADDRESS = "support@helpdesk.test"
DKIM_SELECTOR = "mail2026"
DKIM_DOMAIN = "helpdesk.test"
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class DkimKey:
    private_key_file: Path
    public_record: bytes


@dataclass(frozen=True)
class Gateway:
    relay_port: int
    nats_url: str
    dkim_key: DkimKey


def generated_dkim_key(directory: Path) -> DkimKey:
    """Write a new RSA private key as PEM and return it with its DNS TXT record."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_key_file = directory / "dkim.pem"
    private_key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der)
    return DkimKey(private_key_file, record)


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> DkimKey:
    return generated_dkim_key(tmp_path_factory.mktemp("dkim"))


@pytest.fixture(scope="module")
def account_database_url(postgres_admin: str) -> Iterator[str]:
    with fresh_database(postgres_admin) as url:
        yield url


@pytest.fixture(scope="module")
def account_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = LocalNats(tmp_path_factory.mktemp("account-nats"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def gateway(
    account_nats: str, account_database_url: str, dkim_key: DkimKey
) -> AsyncIterator[Gateway]:
    settings = load_settings(
        GatewaySettings,
        environ={},
        nats_url=account_nats,
        database_url=account_database_url,
        http_port=free_port(),
        smtp_port=free_port(),
        relay_port=free_port(),
        relay_timeout_seconds=5.0,
        outbound_max_attempts=MAX_ATTEMPTS,
        support_address=SUPPORT_ADDRESS,
        support_name="Helpdesk Support",
        dkim_selector=DKIM_SELECTOR,
        dkim_domain=DKIM_DOMAIN,
        dkim_private_key_file=str(dkim_key.private_key_file),
        log_level="warning",
    )
    async with serving(create_app(settings), settings.http_port):
        yield Gateway(settings.relay_port, account_nats, dkim_key)


@contextlib.contextmanager
def captured_logs() -> Iterator[list[dict[str, Any]]]:
    """Collect every structlog event, with its bound context, at every level."""
    previous = structlog.get_config()
    capture = structlog.testing.LogCapture()
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, capture],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
    )
    try:
        yield capture.entries
    finally:
        structlog.configure(
            processors=previous["processors"], wrapper_class=previous["wrapper_class"]
        )


def account_request(**overrides: object) -> AccountEmailRequested:
    token = uuid.uuid4().hex
    fields: dict[str, object] = {
        "to": EmailAddress("jane@customer.test", "Jane Roe"),
        "subject": "Your sign-in link",
        "text_body": f"Sign in: https://portal.helpdesk.test/sign-in?token={token}\n",
        "html_body": f'<p><a href="https://portal.helpdesk.test/sign-in?token={token}">'
        "Sign in</a></p>",
        "purpose": "sign_in_link",
    }
    fields.update(overrides)
    return AccountEmailRequested(**fields)  # type: ignore[arg-type]


def reply_request() -> OutboundEmailRequested:
    return OutboundEmailRequested(
        ticket_id=uuid.uuid4(),
        interaction_id=uuid.uuid4(),
        message_id=f"{uuid.uuid4().hex}@helpdesk.test",
        sender=EmailAddress(SUPPORT_ADDRESS, "Helpdesk Support"),
        reply_to=(EmailAddress(SUPPORT_ADDRESS, "Helpdesk Support"),),
        to=(EmailAddress("jane@customer.test", "Jane Roe"),),
        subject="Re: Printer on fire",
        text_body="We are sending the fire brigade.\nGrüße, Support",
    )


async def publish(nats_url: str, subject: str, message: Message) -> None:
    connection = await nats.connect(nats_url)
    try:
        await connection.jetstream().publish(
            subject, encode(message), headers={"Nats-Msg-Id": str(message.id)}
        )
    finally:
        await connection.close()


def account_message_id(request: AccountEmailRequested) -> str:
    return f"account.{request.id}@helpdesk.test"


def stored_files(directory: Path, message_id: str) -> list[bytes]:
    """Return the stored messages whose Message-ID is `message_id`, as bytes."""
    found = []
    for path in sorted(directory.glob("*.eml")):
        raw = path.read_bytes()
        parsed = email.message_from_bytes(raw, policy=policy.default)
        if str(parsed["Message-ID"]).strip() == f"<{message_id}>":
            found.append(raw)
    return found


async def delivered(directory: Path, message_id: str) -> bytes:
    async def stored() -> list[bytes]:
        return stored_files(directory, message_id)

    files: list[bytes] = await wait_until(stored, timeout=20)
    return files[0]


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def dns_with(key: DkimKey) -> Any:
    """A dkimpy `dnsfunc` that returns the TXT record of the test selector and no other."""
    expected = f"{DKIM_SELECTOR}._domainkey.{DKIM_DOMAIN}."

    def lookup(name: bytes | str, timeout: float = 5) -> bytes | None:
        text = name.decode() if isinstance(name, bytes) else name
        return key.public_record if text == expected else None

    return lookup


def events_named(entries: list[dict[str, Any]], event: str, **fields: str) -> list[dict[str, Any]]:
    return [
        entry
        for entry in entries
        if entry["event"] == event and all(entry.get(k) == v for k, v in fields.items())
    ]


async def test_account_mail_delivered_from_support_address(
    gateway: Gateway, tmp_path: Path
) -> None:
    request = account_request()

    async with running_mail_sink(tmp_path, gateway.relay_port):
        await publish(gateway.nats_url, subjects.MAIL_OUTBOUND_ACCOUNT, request)
        raw = await delivered(tmp_path, account_message_id(request))

    sent = parsed(raw)
    assert str(sent["From"]) == f"Helpdesk Support <{SUPPORT_ADDRESS}>"
    assert str(sent["To"]) == "Jane Roe <jane@customer.test>"
    assert str(sent["Subject"]) == "Your sign-in link"
    assert str(sent["Auto-Submitted"]) == "auto-generated"
    assert sent["Return-Path"] == f"<{SUPPORT_ADDRESS}>"
    assert sent.get_all("Delivered-To") == ["jane@customer.test"]
    text = sent.get_body(preferencelist=("plain",))
    assert text is not None
    assert text.get_content().replace("\r\n", "\n") == request.text_body
    html = sent.get_body(preferencelist=("html",))
    assert html is not None
    assert "sign-in?token=" in html.get_content()


async def test_account_mail_logged_without_body(gateway: Gateway, tmp_path: Path) -> None:
    request = account_request(purpose="password_reset")
    token = request.text_body.rsplit("=", 1)[-1].strip()
    message_id = account_message_id(request)

    with captured_logs() as entries:
        async with running_mail_sink(tmp_path, gateway.relay_port):
            await publish(gateway.nats_url, subjects.MAIL_OUTBOUND_ACCOUNT, request)
            await delivered(tmp_path, message_id)

            async def sent_logged() -> list[dict[str, Any]]:
                return events_named(entries, "account mail sent", message_id=message_id)

            [sent] = await wait_until(sent_logged, timeout=10)

    assert sent["purpose"] == "password_reset"
    assert sent["request_id"] == str(request.id)
    assert sent["attempts"] == 1
    assert all(token not in repr(entry) for entry in entries)


class RejectingRelay:
    """SMTP server hooks that reject every recipient with a fixed reply."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.rcpt_commands = 0

    async def handle_RCPT(  # noqa: N802 (aiosmtpd finds hooks by this name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.rcpt_commands += 1
        return self.reply


@contextlib.asynccontextmanager
async def rejecting_relay(port: int, handler: RejectingRelay) -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="relay.test"), "127.0.0.1", port
    )
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


async def test_account_mail_permanent_rejection_logged(gateway: Gateway) -> None:
    request = account_request(to=EmailAddress("gone@customer.test"))
    relay = RejectingRelay("550 5.1.1 <gone@customer.test>: no such user")

    with captured_logs() as entries:
        async with rejecting_relay(gateway.relay_port, relay):
            await publish(gateway.nats_url, subjects.MAIL_OUTBOUND_ACCOUNT, request)

            async def failure_logged() -> list[dict[str, Any]]:
                return events_named(
                    entries, "account mail failed", message_id=account_message_id(request)
                )

            [failed] = await wait_until(failure_logged, timeout=20)

    assert failed["attempts"] == 1
    assert "550" in failed["error"]
    assert failed["purpose"] == "sign_in_link"
    assert relay.rcpt_commands == 1


async def test_account_mail_transient_failures_exhaust_attempts(gateway: Gateway) -> None:
    request = account_request()
    relay = RejectingRelay("451 4.3.0 Try again later")

    with captured_logs() as entries:
        async with rejecting_relay(gateway.relay_port, relay):
            await publish(gateway.nats_url, subjects.MAIL_OUTBOUND_ACCOUNT, request)

            async def failure_logged() -> list[dict[str, Any]]:
                return events_named(
                    entries, "account mail failed", message_id=account_message_id(request)
                )

            [failed] = await wait_until(failure_logged, timeout=30)

    assert failed["attempts"] == MAX_ATTEMPTS
    assert "451" in failed["error"]
    assert relay.rcpt_commands == MAX_ATTEMPTS


async def test_account_mail_relay_down_then_retried(gateway: Gateway, tmp_path: Path) -> None:
    request = account_request()
    message_id = account_message_id(request)

    with captured_logs() as entries:
        await publish(gateway.nats_url, subjects.MAIL_OUTBOUND_ACCOUNT, request)

        async def attempt_failed() -> list[dict[str, Any]]:
            return events_named(entries, "account mail attempt failed", message_id=message_id)

        [failed] = await wait_until(attempt_failed, timeout=20)

        async with running_mail_sink(tmp_path, gateway.relay_port):
            await delivered(tmp_path, message_id)

            async def sent_logged() -> list[dict[str, Any]]:
                return events_named(entries, "account mail sent", message_id=message_id)

            [sent] = await wait_until(sent_logged, timeout=10)

    assert "could not be reached" in failed["error"]
    assert sent["attempts"] >= 2


async def test_signed_reply_verifies(gateway: Gateway, tmp_path: Path) -> None:
    request = reply_request()

    async with running_mail_sink(tmp_path, gateway.relay_port):
        await publish(gateway.nats_url, subjects.MAIL_OUTBOUND_REQUESTED, request)
        raw = await delivered(tmp_path, request.message_id)

    signature = str(parsed(raw)["DKIM-Signature"])
    assert f"d={DKIM_DOMAIN};" in signature.replace(" ", "")
    assert f"s={DKIM_SELECTOR};" in signature.replace(" ", "")
    assert dkim.verify(raw, dnsfunc=dns_with(gateway.dkim_key))


async def test_signed_account_mail_verifies(gateway: Gateway, tmp_path: Path) -> None:
    request = account_request()

    async with running_mail_sink(tmp_path, gateway.relay_port):
        await publish(gateway.nats_url, subjects.MAIL_OUTBOUND_ACCOUNT, request)
        raw = await delivered(tmp_path, account_message_id(request))

    assert dkim.verify(raw, dnsfunc=dns_with(gateway.dkim_key))
    tampered = raw.replace(b"Sign in", b"Log in")
    assert tampered != raw
    assert not dkim.verify(tampered, dnsfunc=dns_with(gateway.dkim_key))


def test_dkim_incomplete_settings_rejected(dkim_key: DkimKey) -> None:
    settings = GatewaySettings(
        dkim_selector=DKIM_SELECTOR, dkim_private_key_file=str(dkim_key.private_key_file)
    )

    with pytest.raises(DkimConfigurationError, match="dkim_domain"):
        signer_from_settings(settings)


def test_dkim_invalid_key_rejected(tmp_path: Path) -> None:
    key_file = tmp_path / "broken.pem"
    key_file.write_text(
        "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n"
    )
    settings = GatewaySettings(
        dkim_selector=DKIM_SELECTOR, dkim_domain=DKIM_DOMAIN, dkim_private_key_file=str(key_file)
    )

    with pytest.raises(DkimConfigurationError, match="cannot sign"):
        signer_from_settings(settings)


def test_dkim_off_without_settings() -> None:
    assert signer_from_settings(GatewaySettings()) is None
