"""Handing outbound messages to the SMTP relay with aiosmtplib.

The client runs in the service's event loop, one connection per message. Every failure
is raised as `RelayError` with `permanent` set from the SMTP reply class (RFC 5321
section 4.2.1): a 5xx reply to this message will not change on retry, a 4xx reply, a
network error or a timeout may.

The relay receives the message as bytes, so what it gets is exactly what was signed
when DKIM signing is on.
"""

import socket
import ssl
from dataclasses import dataclass

import aiosmtplib

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
        # Without a name, aiosmtplib looks up this host's FQDN in DNS for every connection.
        self._local_hostname = settings.smtp_hostname or socket.gethostname()

    async def send(self, message: bytes, sender: str, recipients: list[str]) -> RelayResult:
        """Send `message` to `recipients`; raise RelayError unless the relay accepted it."""
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            local_hostname=self._local_hostname,
            timeout=self._timeout,
            # False, not None: None would upgrade whenever the relay offers STARTTLS.
            start_tls=self._starttls,
            tls_context=ssl.create_default_context() if self._starttls else None,
            username=self._username or None,
            password=self._password or None,
        )
        try:
            async with client:
                rejected, _ = await client.sendmail(sender, recipients, message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise _relay_error(exc) from exc

        return RelayResult(
            rejected={
                address: f"{response.code} {response.message}"
                for address, response in rejected.items()
            }
        )


def _relay_error(exc: aiosmtplib.SMTPException | OSError) -> RelayError:
    """Translate an aiosmtplib or network error into a RelayError."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        details = ", ".join(
            f"{refused.recipient}: {refused.code} {refused.message}" for refused in exc.recipients
        )
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return RelayError(f"the relay rejected every recipient ({details})", permanent=permanent)

    # Failures of the greeting, EHLO or login concern the relay, not this message, so
    # they are retried even when the reply is a 5xx.
    if isinstance(
        exc,
        aiosmtplib.SMTPConnectResponseError
        | aiosmtplib.SMTPHeloError
        | aiosmtplib.SMTPAuthenticationError,
    ):
        return RelayError(
            f"the relay rejected the session: {exc.code} {exc.message}", permanent=False
        )

    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return RelayError(
            f"the relay rejected the message: {exc.code} {exc.message}",
            permanent=exc.code >= 500,
        )

    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return RelayError(f"the relay does not support the message: {exc}", permanent=True)

    return RelayError(f"the relay could not be reached: {exc!r}", permanent=False)
