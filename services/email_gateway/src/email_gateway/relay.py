"""Handing outbound messages to the SMTP relay with the standard library's client.

`smtplib` blocks, so callers run `RelayClient.send` in a worker thread. Every failure is
raised as `RelayError` with `permanent` set from the SMTP reply class (RFC 5321 section
4.2.1): a 5xx reply to this message will not change on retry, a 4xx reply, a network
error or a timeout may.
"""

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from email_gateway.settings import GatewaySettings


class RelayError(Exception):
    """The relay did not accept a message; `permanent` means retrying will not help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class RelayResult:
    """The recipients the relay rejected while it accepted the message for the others."""

    rejected: dict[str, str]


class RelayClient:
    """One SMTP connection per message to the configured relay."""

    def __init__(self, settings: GatewaySettings) -> None:
        self._host = settings.relay_host
        self._port = settings.relay_port
        self._starttls = settings.relay_starttls
        self._username = settings.relay_username
        self._password = settings.relay_password
        self._timeout = settings.relay_timeout_seconds
        # smtplib's default EHLO name comes from a DNS lookup per connection.
        self._local_hostname = settings.smtp_hostname or socket.gethostname()

    def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> RelayResult:
        """Send `message` to `recipients`; raise RelayError unless the relay accepted it."""
        try:
            with smtplib.SMTP(
                self._host,
                self._port,
                local_hostname=self._local_hostname,
                timeout=self._timeout,
            ) as client:
                self._prepare(client)
                rejected = client.send_message(message, from_addr=sender, to_addrs=recipients)
        except (smtplib.SMTPException, OSError) as exc:
            raise _relay_error(exc) from exc

        return RelayResult(
            rejected={
                address: f"{code} {reply.decode(errors='replace')}"
                for address, (code, reply) in rejected.items()
            }
        )

    def _prepare(self, client: smtplib.SMTP) -> None:
        client.ehlo()
        if self._starttls:
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if self._username:
            client.login(self._username, self._password)


def _relay_error(exc: smtplib.SMTPException | OSError) -> RelayError:
    """Translate an smtplib or network error into a RelayError."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        details = ", ".join(
            f"{address}: {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in exc.recipients.items()
        )
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return RelayError(f"the relay rejected every recipient ({details})", permanent=permanent)

    # Failures of the connection, greeting or login concern the relay, not this message,
    # so they are retried even when the reply is a 5xx.
    if isinstance(
        exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError | smtplib.SMTPAuthenticationError
    ):
        return RelayError(
            f"the relay rejected the session: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
            permanent=False,
        )

    if isinstance(exc, smtplib.SMTPResponseException):
        return RelayError(
            f"the relay rejected the message: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
            permanent=exc.smtp_code >= 500,
        )

    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return RelayError(f"the relay does not support the message: {exc}", permanent=True)

    return RelayError(f"the relay could not be reached: {exc!r}", permanent=False)


def _reply_text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
