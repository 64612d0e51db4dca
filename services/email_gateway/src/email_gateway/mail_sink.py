"""A local SMTP server that stores every message it receives as an `.eml` file.

It replaces the outbound relay during development and tests, so replies can be
read without sending mail anywhere. Each message is written to
`<dir>/<UTC timestamp>-<uuid>.eml` with a `Return-Path` and one `Delivered-To` field per
recipient in front, as a local delivery agent adds them. Files appear under their final
name only when complete.

Run it with `python -m email_gateway.mail_sink --port 2526 --dir var/outbox-mail`, or in
tests with `async with running_mail_sink(directory, port) as sink:`.
"""

import argparse
import asyncio
import logging
import signal
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from helpdesk_runtime.logging import configure_logging, get_logger

log = get_logger(__name__)


def write_message(
    directory: Path, envelope_from: str, recipients: Sequence[str], raw: bytes
) -> Path:
    """Write one received message to `directory` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    target = directory / f"{stamp}-{uuid.uuid4()}.eml"

    trace = [f"Return-Path: <{envelope_from}>"]
    trace.extend(f"Delivered-To: {recipient}" for recipient in recipients)
    content = ("\r\n".join(trace) + "\r\n").encode("utf-8") + raw

    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(content)
    temporary.replace(target)
    return target


class _SinkHandler:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def handle_DATA(  # noqa: N802 (aiosmtpd finds hooks by this name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        envelope_from = envelope.mail_from or ""
        recipients = list(envelope.rcpt_tos)
        path = await asyncio.to_thread(
            write_message, self._directory, envelope_from, recipients, raw
        )
        log.info("mail sink stored message", path=str(path), recipients=recipients, size=len(raw))
        return f"250 2.0.0 OK: stored as {path.name}"


class MailSink:
    """The running sink: where it listens and where it writes."""

    def __init__(self, directory: Path, port: int, host: str = "127.0.0.1") -> None:
        self.directory = directory
        self.port = port
        self.host = host
        self._server: asyncio.Server | None = None
        self._hostname = socket.gethostname()

    async def start(self) -> None:
        """Create the folder and listen on `host:port`."""
        self.directory.mkdir(parents=True, exist_ok=True)
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        handler = _SinkHandler(self.directory)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(handler, hostname=self._hostname, enable_SMTPUTF8=True),
            self.host,
            self.port,
        )
        log.info("mail sink started", host=self.host, port=self.port, directory=str(self.directory))

    async def stop(self) -> None:
        """Stop listening."""
        if self._server is None:
            return
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        log.info("mail sink stopped", port=self.port)

    def messages(self) -> list[Path]:
        """Return the stored message files, oldest first."""
        if not self.directory.exists():
            return []
        return sorted(self.directory.glob("*.eml"))


@asynccontextmanager
async def running_mail_sink(
    directory: Path | str, port: int, host: str = "127.0.0.1"
) -> AsyncIterator[MailSink]:
    """Run a mail sink for the duration of the block."""
    sink = MailSink(Path(directory), port, host)
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()


async def _serve_until_stopped(directory: Path, port: int, host: str) -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopped.set)

    async with running_mail_sink(directory, port, host):
        await stopped.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and run the sink until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m email_gateway.mail_sink",
        description="Store every message received over SMTP as an .eml file.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=2526, help="TCP port to listen on")
    parser.add_argument("--dir", default="var/outbox-mail", help="folder for the .eml files")
    parser.add_argument("--log-level", default="info", help="debug, info, warning or error")
    arguments = parser.parse_args(argv)

    configure_logging("mail_sink", arguments.log_level, json=False)
    asyncio.run(_serve_until_stopped(Path(arguments.dir), arguments.port, arguments.host))


if __name__ == "__main__":
    main()
