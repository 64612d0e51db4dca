"""The IMAP poller against a real Dovecot server, real NATS and PostgreSQL."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import msgspec
import nats
import pytest
from aioimaplib import IMAP4
from nats.aio.msg import Msg

from email_gateway.app import build_gateway, create_app
from email_gateway.imap_poller import ImapAccount, ImapPoller
from email_gateway.settings import GatewaySettings
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import InboundEmailReceived
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.service import ServiceRuntime
from helpdesk_runtime.settings import load_settings
from tests.support.dovecot import ImapServer, dovecot_available, running_dovecot
from tests.support.servers import serving, wait_until

pytestmark = pytest.mark.skipif(
    not dovecot_available(), reason="dovecot is not installed (Debian package dovecot-imapd)"
)


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    with running_dovecot() as server:
        yield server


@pytest.fixture(scope="module")
async def gateway_runtime(
    nats_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[ServiceRuntime, object]]:
    settings = load_settings(
        GatewaySettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        smtp_port=free_port(),
        blob_dir=str(tmp_path_factory.mktemp("imap-blobs")),
    )
    gateway = build_gateway(settings)
    await gateway.runtime.start()
    yield gateway.runtime, gateway.pipeline
    await gateway.runtime.stop()


def account_for(server: ImapServer, mailbox: str = "INBOX", move_to: str = "") -> ImapAccount:
    return ImapAccount(
        host=server.host,
        port=server.port,
        username=server.username,
        password=server.password,
        mailbox=mailbox,
        poll_seconds=2.0,
        move_to=move_to,
    )


def message(subject: str) -> tuple[bytes, str]:
    message_id = f"{uuid.uuid4().hex}@imap-customer.test"
    raw = (
        f"From: Jane Roe <jane@imap-customer.test>\r\nTo: support@helpdesk.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{message_id}>\r\n"
        f"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\n\r\nThe printer is on fire.\r\n"
    ).encode()
    return raw, message_id


async def imap_client(server: ImapServer, mailbox: str = "INBOX") -> IMAP4:
    client = IMAP4(server.host, server.port)
    await client.wait_hello_from_server()
    await client.login(server.username, server.password)
    if mailbox != "INBOX":
        await client.create(mailbox)
    await client.select(mailbox)
    return client


async def uids_with_keyword(client: IMAP4, keyword: str) -> list[bytes]:
    response = await client.uid_search("KEYWORD", keyword)
    return bytes(response.lines[0]).split()


class InboundLog:
    def __init__(self) -> None:
        self.message_ids: list[str] = []

    async def on_message(self, msg: Msg) -> None:
        event = msgspec.json.decode(msg.data, type=InboundEmailReceived)
        self.message_ids.append(event.message_id)


@pytest.fixture
async def inbound_log(nats_url: str) -> AsyncIterator[InboundLog]:
    connection = await nats.connect(nats_url)
    log = InboundLog()
    subscription = await connection.jetstream().subscribe(
        subjects.MAIL_INBOUND_RECEIVED, cb=log.on_message, deliver_policy="new"
    )
    yield log
    await subscription.unsubscribe()
    await connection.drain()


async def test_imap_import_publishes_then_flags(
    imap_server: ImapServer, gateway_runtime: tuple[ServiceRuntime, object], inbound_log: InboundLog
) -> None:
    _, pipeline = gateway_runtime
    client = await imap_client(imap_server)
    raw, message_id = message("Imported over IMAP")
    await client.append(raw, "INBOX")
    poller = ImapPoller(account_for(imap_server), pipeline)  # type: ignore[arg-type]

    first = await poller.import_once()
    second = await poller.import_once()

    async def published() -> bool:
        return message_id in inbound_log.message_ids

    await wait_until(published)
    # NOOP lets this session see the flags the poller's session stored (RFC 3501 6.1.2).
    await client.noop()
    flagged = await uids_with_keyword(client, "HelpdeskImported")
    await client.logout()
    assert first >= 1
    assert second == 0
    assert len(flagged) >= 1
    assert inbound_log.message_ids.count(message_id) == 1


async def test_imap_idle_picks_up_new_mail(
    imap_server: ImapServer, gateway_runtime: tuple[ServiceRuntime, object], inbound_log: InboundLog
) -> None:
    _, pipeline = gateway_runtime
    poller = ImapPoller(account_for(imap_server), pipeline)  # type: ignore[arg-type]
    task = asyncio.create_task(poller.run())
    client = await imap_client(imap_server)
    try:
        await asyncio.sleep(0.5)
        raw, message_id = message("Arrives while the poller idles")
        await client.append(raw, "INBOX")

        async def published() -> bool:
            return message_id in inbound_log.message_ids

        await wait_until(published, timeout=10)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.logout()

    assert inbound_log.message_ids.count(message_id) == 1


async def test_imap_move_to_folder(
    imap_server: ImapServer, gateway_runtime: tuple[ServiceRuntime, object], inbound_log: InboundLog
) -> None:
    _, pipeline = gateway_runtime
    client = await imap_client(imap_server, "Support")
    await client.create("Imported")
    raw, message_id = message("Moved after import")
    await client.append(raw, "Support")
    poller = ImapPoller(account_for(imap_server, "Support", move_to="Imported"), pipeline)  # type: ignore[arg-type]

    imported = await poller.import_once()

    await client.noop()
    remaining = await client.uid_search("ALL")
    await client.select("Imported")
    moved = await client.uid_search("ALL")
    await client.logout()
    assert imported == 1
    assert bytes(remaining.lines[0]).split() == []
    assert len(bytes(moved.lines[0]).split()) == 1
    assert message_id in inbound_log.message_ids


def test_dovecot_fixture_removes_folder() -> None:
    with running_dovecot() as server:
        folder = server.folder
        assert folder.exists()

    assert not folder.exists()


async def test_gateway_runs_poller_from_settings(
    imap_server: ImapServer,
    nats_url: str,
    database_url: str,
    inbound_log: InboundLog,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = load_settings(
        GatewaySettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        smtp_port=free_port(),
        blob_dir=str(tmp_path_factory.mktemp("imap-app-blobs")),
        imap_host=imap_server.host,
        imap_port=imap_server.port,
        imap_username=imap_server.username,
        imap_password=imap_server.password,
        imap_mailbox="FromSettings",
        imap_poll_seconds=1.0,
    )
    client = await imap_client(imap_server, "FromSettings")
    raw, message_id = message("Imported by the running gateway")
    await client.append(raw, "FromSettings")

    async with serving(create_app(settings)):

        async def published() -> bool:
            return message_id in inbound_log.message_ids

        await wait_until(published, timeout=15)

    await client.logout()
    assert inbound_log.message_ids.count(message_id) == 1
