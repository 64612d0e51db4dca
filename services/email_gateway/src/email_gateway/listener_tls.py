"""STARTTLS (RFC 3207) for the inbound SMTP listener: the server's TLS context."""

import ssl
from pathlib import Path

from email_gateway.settings import GatewaySettings


class ListenerTlsError(Exception):
    """Raised at start when the listener's TLS settings are incomplete or unreadable."""


def listener_tls_context(settings: GatewaySettings) -> ssl.SSLContext | None:
    """Return the TLS context the listener offers STARTTLS with, or None for no TLS."""
    cert_file = settings.smtp_tls_cert_file
    key_file = settings.smtp_tls_key_file
    if not cert_file and not key_file:
        if settings.smtp_require_starttls:
            raise ListenerTlsError(
                "smtp_require_starttls is set, but no certificate is configured: "
                "set smtp_tls_cert_file and smtp_tls_key_file"
            )
        return None
    if not cert_file or not key_file:
        raise ListenerTlsError(
            "STARTTLS needs both smtp_tls_cert_file and smtp_tls_key_file; one is empty"
        )

    # Purpose.CLIENT_AUTH makes a server-side context that requests no client
    # certificate, as mail servers do. It allows TLS 1.2 and later only.
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(Path(cert_file), Path(key_file))
    except (OSError, ssl.SSLError) as exc:
        raise ListenerTlsError(
            f"cannot load the SMTP certificate {cert_file} with key {key_file}: {exc}"
        ) from exc
    return context
