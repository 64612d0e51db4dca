"""The IMAP poller: for teams whose support address is a mailbox on an IMAP server.

Each pass selects the mailbox, finds the messages not yet imported (those without the
import keyword) and hands each one to the same pipeline as SMTP: raw bytes stored,
parsed, published to JetStream. Only after the pipeline returns (JetStream acknowledged
the message, or it was quarantined with its reason) is the message marked on the server:
flagged with the keyword, or moved to a folder when one is configured. A message whose
publish failed stays unmarked and is fetched again on the next pass, and the pipeline's
raw-message de-duplication makes a re-fetch harmless.

Between passes the poller waits in IMAP IDLE (RFC 2177) where the server offers it, so
new mail is picked up at once, and polls every `poll_seconds` otherwise. A lost
connection is re-established with a growing delay.
"""

import asyncio
import contextlib
import ssl
from dataclasses import dataclass

from aioimaplib import IMAP4, IMAP4_SSL, Response

from email_gateway.inbound import InboundPipeline
from helpdesk_runtime.logging import bound_context, get_logger
from helpdesk_runtime.messaging import PublishFailedError
from helpdesk_runtime.metrics import counter

log = get_logger(__name__)

imported_total = counter("email_imap_imported_total", "Messages imported from the IMAP mailbox.")
reconnects_total = counter("email_imap_reconnects_total", "IMAP connections lost and re-opened.")

_MAX_BACKOFF_SECONDS = 60.0


class ImapError(Exception):
    """Raised when the IMAP server rejects a command the poller needs."""


@dataclass(frozen=True)
class ImapAccount:
    """The mailbox the poller reads and how it marks what it imported."""

    host: str
    port: int
    username: str
    password: str
    mailbox: str = "INBOX"
    use_ssl: bool = False
    poll_seconds: float = 30.0
    imported_keyword: str = "HelpdeskImported"
    move_to: str = ""
    batch_size: int = 50


def _check(response: Response, command: str) -> Response:
    if response.result != "OK":
        detail = b" ".join(bytes(line) for line in response.lines).decode(errors="replace")
        raise ImapError(f"IMAP {command} failed: {response.result} {detail}")
    return response


def _uids_in(response: Response) -> list[str]:
    # A UID SEARCH response is one line of space-separated numbers (possibly empty).
    first = bytes(response.lines[0]) if response.lines else b""
    return [token.decode() for token in first.split() if token.isdigit()]


def _message_bytes(response: Response) -> bytes | None:
    # aioimaplib returns the literal of BODY[] as the one bytearray among the lines.
    for line in response.lines:
        if isinstance(line, bytearray):
            return bytes(line)
    return None


class ImapPoller:
    """Imports a mailbox's messages into the inbound pipeline until cancelled."""

    def __init__(self, account: ImapAccount, pipeline: InboundPipeline) -> None:
        self._account = account
        self._pipeline = pipeline

    async def run(self) -> None:
        """Connect, import and wait for new mail, reconnecting after every failure."""
        backoff = 1.0
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except (ImapError, OSError, TimeoutError, PublishFailedError) as exc:
                reconnects_total.inc()
                log.warning(
                    "imap session ended, reconnecting",
                    host=self._account.host,
                    mailbox=self._account.mailbox,
                    error=repr(exc),
                    retry_in_seconds=backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(_MAX_BACKOFF_SECONDS, backoff * 2)

    async def import_once(self) -> int:
        """Open a connection, import every pending message, close; return how many."""
        client = await self._connect()
        try:
            return await self._import_pending(client)
        finally:
            await _close(client)

    async def _session(self) -> None:
        client = await self._connect()
        try:
            while True:
                await self._import_pending(client)
                await self._wait_for_mail(client)
        finally:
            await _close(client)

    async def _connect(self) -> IMAP4:
        account = self._account
        client: IMAP4
        if account.use_ssl:
            client = IMAP4_SSL(account.host, account.port, ssl_context=ssl.create_default_context())
        else:
            client = IMAP4(account.host, account.port)
        await client.wait_hello_from_server()
        _check(await client.login(account.username, account.password), "LOGIN")
        _check(await client.select(account.mailbox), "SELECT")
        log.info("imap connected", host=account.host, mailbox=account.mailbox)
        return client

    async def _import_pending(self, client: IMAP4) -> int:
        search = _check(
            await client.uid_search("UNDELETED", "NOT", "KEYWORD", self._account.imported_keyword),
            "UID SEARCH",
        )
        uids = _uids_in(search)[: self._account.batch_size]

        for uid in uids:
            await self._import_one(client, uid)
        return len(uids)

    async def _import_one(self, client: IMAP4, uid: str) -> None:
        with bound_context(imap_uid=uid, mailbox=self._account.mailbox):
            # BODY.PEEK leaves \Seen alone, so people reading the mailbox see unread mail.
            fetched = _check(await client.uid("fetch", uid, "(BODY.PEEK[])"), "UID FETCH")
            raw = _message_bytes(fetched)
            if raw is None:
                log.warning("imap message has no body, left in place")
                return

            outcome = await self._pipeline.receive(raw, "", [self._account.username])
            await self._mark_imported(client, uid)

            imported_total.inc()
            log.info(
                "imap message imported",
                raw_message_id=str(outcome.raw_id),
                status=outcome.status.value,
            )

    async def _mark_imported(self, client: IMAP4, uid: str) -> None:
        if self._account.move_to:
            _check(await client.uid("move", uid, self._account.move_to), "UID MOVE")
            return
        keyword = f"({self._account.imported_keyword})"
        _check(await client.uid("store", uid, "+FLAGS", keyword), "UID STORE")

    async def _wait_for_mail(self, client: IMAP4) -> None:
        if not client.has_capability("IDLE"):
            await asyncio.sleep(self._account.poll_seconds)
            return

        idle = await client.idle_start(timeout=self._account.poll_seconds)
        # Any untagged response (EXISTS for new mail) or the timeout ends the wait.
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            await client.wait_server_push(timeout=self._account.poll_seconds)
        client.idle_done()
        await asyncio.wait_for(idle, timeout=10)


async def _close(client: IMAP4) -> None:
    # A session stopped during IDLE must end it before LOGOUT, and a server that does not
    # respond must not hold up shutdown for aioimaplib's 10 s command timeout.
    with contextlib.suppress(Exception):
        if client.has_pending_idle():
            client.idle_done()
        await asyncio.wait_for(client.logout(), timeout=2)
