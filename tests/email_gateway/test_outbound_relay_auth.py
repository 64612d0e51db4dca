"""Outbound delivery through a relay that requires SMTP AUTH.

This module runs its own NATS server and database, because its gateway has other relay
settings than the gateways of the other modules and would otherwise share their
durable consumer.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import nats
import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from email_gateway.app import create_app
from email_gateway.settings import GatewaySettings
from helpdesk_contracts import subjects
from helpdesk_contracts.messages import EmailAddress, OutboundEmailRequested
from helpdesk_runtime.local_servers import LocalNats, free_port
from helpdesk_runtime.messaging import encode
from helpdesk_runtime.settings import load_settings
from tests.support.infrastructure import fresh_database
from tests.support.servers import serving, wait_until

RELAY_USER = "helpdesk"
RELAY_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def auth_database_url(postgres_admin: str) -> Iterator[str]:
    with fresh_database(postgres_admin) as url:
        yield url


@pytest.fixture(scope="module")
def auth_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = LocalNats(tmp_path_factory.mktemp("auth-nats"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def gateway(auth_nats: str, auth_database_url: str) -> AsyncIterator[GatewaySettings]:
    settings = load_settings(
        GatewaySettings,
        environ={},
        nats_url=auth_nats,
        database_url=auth_database_url,
        http_port=free_port(),
        smtp_port=free_port(),
        relay_port=free_port(),
        relay_username=RELAY_USER,
        relay_password=RELAY_PASSWORD,
        log_level="warning",
    )
    async with serving(create_app(settings), settings.http_port):
        yield settings


class AuthenticatingRelay:
    """SMTP server hooks that record the logins and the recipients of accepted mail."""

    def __init__(self) -> None:
        self.logins: list[tuple[bytes, bytes]] = []
        self.delivered: list[list[str]] = []

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        accepted = data.login == RELAY_USER.encode() and data.password == RELAY_PASSWORD.encode()
        return AuthResult(success=accepted)

    async def handle_DATA(  # noqa: N802 (aiosmtpd finds hooks by this name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.delivered.append(list(envelope.rcpt_tos))
        return "250 OK"


@contextlib.asynccontextmanager
async def authenticating_relay(port: int, relay: AuthenticatingRelay) -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            relay,
            hostname="relay.test",
            authenticator=relay.authenticate,
            auth_required=True,
            auth_require_tls=False,
        ),
        "127.0.0.1",
        port,
    )
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


# The test relay listens on loopback only, so AUTH without TLS is acceptable here.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_outbound_relay_login_used(gateway: GatewaySettings, auth_nats: str) -> None:
    relay = AuthenticatingRelay()
    request = OutboundEmailRequested(
        ticket_id=uuid.uuid4(),
        interaction_id=uuid.uuid4(),
        message_id=f"{uuid.uuid4().hex}@helpdesk.test",
        sender=EmailAddress("support@helpdesk.test"),
        to=(EmailAddress("jane@customer.test"),),
        subject="Re: Printer on fire",
        text_body="Sent through an authenticating relay.",
    )

    async with authenticating_relay(gateway.relay_port, relay):
        connection = await nats.connect(auth_nats)
        try:
            await connection.jetstream().publish(
                subjects.MAIL_OUTBOUND_REQUESTED,
                encode(request),
                headers={"Nats-Msg-Id": str(request.id)},
            )
        finally:
            await connection.close()

        async def delivered() -> bool:
            return bool(relay.delivered)

        await wait_until(delivered, timeout=20)

    assert relay.logins == [(RELAY_USER.encode(), RELAY_PASSWORD.encode())]
    assert relay.delivered == [["jane@customer.test"]]
