"""The inbound SMTP listener: aiosmtpd's protocol served from the service's event loop.

The listener runs in the same asyncio loop as the HTTP server, NATS and the database
pool (no aiosmtpd `Controller` thread), so the DATA handler awaits the inbound pipeline
directly. Replies follow RFC 5321 with RFC 3463 enhanced status codes:

- 250 2.0.0 once the event is stored in JetStream, or the message is quarantined;
- 451 4.3.0 when it could not be published, so the client retries later;
- 530 5.7.0 for MAIL FROM before STARTTLS when `smtp_require_starttls` is set;
- 550 5.1.1 for a recipient that is not a support address;
- 552 5.3.4 for a message larger than `max_message_bytes`.

With a certificate and key configured the listener offers STARTTLS (RFC 3207).
"""

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP, Envelope, Session
from litestar import Litestar

from email_gateway.inbound import InboundOutcome, InboundPipeline
from email_gateway.listener_tls import listener_tls_context
from email_gateway.models import RawStatus
from email_gateway.recipients import RecipientPolicy
from email_gateway.settings import GatewaySettings
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.messaging import PublishFailedError

log = get_logger(__name__)

# How long shutdown waits for messages that are being stored and published.
DRAIN_TIMEOUT_SECONDS = 30.0


class GatewayHandler:
    """aiosmtpd handler hooks: recipient check at RCPT, acceptance at DATA."""

    def __init__(self, pipeline: InboundPipeline, recipients: RecipientPolicy) -> None:
        self._pipeline = pipeline
        self._recipients = recipients
        self.in_flight: set[asyncio.Task[InboundOutcome]] = set()

    async def handle_RCPT(  # noqa: N802 (aiosmtpd finds hooks by this name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not self._recipients.accepts(address):
            log.info("recipient rejected", recipient=address, peer=str(session.peer))
            return f"550 5.1.1 <{address}>: recipient is not a support address here"

        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd finds hooks by this name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        envelope_from = envelope.mail_from or ""
        recipients = list(envelope.rcpt_tos)

        with bound_context(peer=session.peer, envelope_from=envelope_from):
            # A client that disconnects cancels this hook, but the shielded task still runs
            # to the end. The message is then stored and published once, and a retry finds it.
            task = asyncio.ensure_future(self._pipeline.receive(raw, envelope_from, recipients))
            self.in_flight.add(task)
            task.add_done_callback(self._forget)

            try:
                outcome = await asyncio.shield(task)
            except PublishFailedError:
                return "451 4.3.0 Error: the message could not be queued, try again later"
            except Exception:
                return "451 4.3.0 Error: the message could not be stored, try again later"

        return _reply_for(outcome)

    def _forget(self, task: asyncio.Task[InboundOutcome]) -> None:
        self.in_flight.discard(task)

        # Logged here rather than in handle_DATA, so the error of a task whose SMTP
        # session went away is logged too. The pipeline logs failed publishes itself.
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and not isinstance(error, PublishFailedError):
            log.error("inbound message failed", error=repr(error), exc_info=error)


def _reply_for(outcome: InboundOutcome) -> str:
    if outcome.status is RawStatus.QUARANTINED:
        return f"250 2.0.0 OK: quarantined as {outcome.raw_id}"
    return f"250 2.0.0 OK: queued as {outcome.raw_id}"


class GatewaySMTP(SMTP):
    """aiosmtpd's SMTP protocol with the gateway's size limits and reply texts."""

    def __init__(
        self,
        handler: GatewayHandler,
        connections: set["GatewaySMTP"],
        *,
        max_message_bytes: int,
        **options: Any,
    ) -> None:
        # RFC 5321 limits lines to 1000 octets, but real mail has longer ones. aiosmtpd
        # replies 500 to such a line, so the limit is raised to the message size.
        self.line_length_limit = max_message_bytes + 2
        self.size_limit = max_message_bytes
        self._connections = connections
        super().__init__(handler, data_size_limit=max_message_bytes, **options)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._connections.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._connections.discard(self)
        super().connection_lost(error)

    async def push(self, status: AnyStr) -> None:
        # aiosmtpd's size rejections carry no enhanced status code (RFC 3463). A line
        # longer than the line limit is longer than the whole message may be, too.
        if isinstance(status, str) and status.startswith(("552 Error", "500 Line too long")):
            await super().push(
                f"552 5.3.4 Error: message exceeds the maximum size of {self.size_limit} bytes"
            )
            return
        # aiosmtpd leaves out the enhanced code. 5.7.0 is RFC 3463's security status.
        if isinstance(status, str) and status.startswith("530 Must issue a STARTTLS"):
            await super().push("530 5.7.0 Must issue a STARTTLS command first")
            return
        await super().push(status)

    def disconnect(self) -> None:
        """Close the client connection."""
        if self.transport is not None:
            self.transport.close()


class SmtpListener:
    """The listening socket and its open connections."""

    def __init__(self, settings: GatewaySettings, pipeline: InboundPipeline) -> None:
        self._settings = settings
        self._handler = GatewayHandler(
            pipeline, RecipientPolicy.from_setting(settings.support_addresses)
        )
        self._hostname = settings.smtp_hostname or socket.gethostname()
        self._tls_context = listener_tls_context(settings)
        self._connections: set[GatewaySMTP] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen on `smtp_host:smtp_port`."""
        # aiosmtpd logs every command at INFO; the gateway logs each message itself.
        logging.getLogger("mail.log").setLevel(logging.WARNING)

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._protocol, self._settings.smtp_host, self._settings.smtp_port
        )
        log.info(
            "smtp listener started",
            host=self._settings.smtp_host,
            port=self._settings.smtp_port,
            max_message_bytes=self._settings.max_message_bytes,
            starttls=self._tls_context is not None,
            require_starttls=self._settings.smtp_require_starttls,
        )

    async def stop(self) -> None:
        """Stop accepting, let messages in progress finish, then close every connection."""
        if self._server is None:
            return
        self._server.close()

        pending = set(self._handler.in_flight)
        if pending:
            _, unfinished = await asyncio.wait(pending, timeout=DRAIN_TIMEOUT_SECONDS)
            if unfinished:
                log.warning(
                    "smtp listener stopped with messages in progress", count=len(unfinished)
                )

        for connection in list(self._connections):
            connection.disconnect()
        await self._server.wait_closed()
        self._server = None
        log.info("smtp listener stopped", port=self._settings.smtp_port)

    def _protocol(self) -> GatewaySMTP:
        return GatewaySMTP(
            self._handler,
            self._connections,
            max_message_bytes=self._settings.max_message_bytes,
            hostname=self._hostname,
            enable_SMTPUTF8=True,
            decode_data=False,
            tls_context=self._tls_context,
            require_starttls=self._settings.smtp_require_starttls,
        )

    @asynccontextmanager
    async def lifespan(self, _app: Litestar) -> AsyncIterator[None]:
        """Litestar lifespan hook: listen while the service runs."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()
