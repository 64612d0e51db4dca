"""STARTTLS on the inbound SMTP listener, with a self-signed certificate made in the test."""

import asyncio
import datetime
import ipaddress
import smtplib
import ssl
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from email_gateway.app import create_app
from email_gateway.listener_tls import ListenerTlsError, listener_tls_context
from email_gateway.settings import GatewaySettings
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.settings import load_settings
from tests.support.servers import serving

SUPPORT_ADDRESS = "support@helpdesk.test"


@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path


@dataclass(frozen=True)
class Gateway:
    smtp_port: int
    http_url: str
    certificate: Certificate


def self_signed_certificate(directory: Path) -> Certificate:
    """Write a certificate for 127.0.0.1, signed by its own key, and that key as PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.helpdesk.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )

    cert_file = directory / "listener.crt"
    key_file = directory / "listener.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_file, key_file)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed_certificate(tmp_path_factory.mktemp("listener-tls"))


@pytest.fixture(scope="module")
async def gateway(
    nats_url: str,
    database_url: str,
    certificate: Certificate,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Gateway]:
    settings = load_settings(
        GatewaySettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        http_port=free_port(),
        smtp_port=free_port(),
        relay_port=free_port(),
        support_addresses=SUPPORT_ADDRESS,
        smtp_tls_cert_file=str(certificate.cert_file),
        smtp_tls_key_file=str(certificate.key_file),
        smtp_require_starttls=True,
        blob_dir=str(tmp_path_factory.mktemp("starttls-blobs")),
        log_level="warning",
    )
    async with serving(create_app(settings), settings.http_port) as base_url:
        yield Gateway(settings.smtp_port, base_url, certificate)


def client_context(certificate: Certificate) -> ssl.SSLContext:
    """A client context that trusts exactly the test certificate."""
    return ssl.create_default_context(cafile=str(certificate.cert_file))


def customer_message(subject: str, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Jane Roe <{sender}>"
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@mail.customer.test>"
    message.set_content("Sent over an encrypted connection.")
    return message.as_bytes(policy=policy.SMTP)


def send_over_starttls(
    port: int, certificate: Certificate, sender: str, raw: bytes
) -> tuple[int, str, str]:
    """Upgrade with STARTTLS, deliver `raw`, and return the DATA reply and TLS version."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        client.starttls(context=client_context(certificate))
        client.ehlo()
        tls_version = client.sock.version() if isinstance(client.sock, ssl.SSLSocket) else ""
        code, reply = client.mail(sender)
        assert code == 250, reply
        code, reply = client.rcpt(SUPPORT_ADDRESS)
        assert code == 250, reply
        code, reply = client.data(raw)
    return code, reply.decode(), tls_version or ""


def plain_mail_from(port: int) -> tuple[int, str]:
    """Send MAIL FROM without STARTTLS and return the reply."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        code, reply = client.mail("jane@customer.test")
    return code, reply.decode()


async def test_starttls_upgrade_then_delivery(gateway: Gateway) -> None:
    # A sender of its own, so the per-sender rate limit of the shared database never applies.
    sender = f"{uuid.uuid4().hex[:8]}@customer.test"
    raw = customer_message(f"Encrypted {uuid.uuid4().hex[:8]}", sender)

    code, reply, tls_version = await asyncio.to_thread(
        send_over_starttls, gateway.smtp_port, gateway.certificate, sender, raw
    )

    assert code == 250, reply
    assert "queued as" in reply
    assert tls_version.startswith("TLSv1.")
    raw_id = reply.rsplit(" ", 1)[-1]
    async with httpx.AsyncClient(base_url=gateway.http_url, timeout=10) as client:
        stored = await client.get(f"/raw-messages/{raw_id}/raw")
    assert stored.status_code == 200
    assert stored.content == raw


async def test_starttls_required_rejects_plain_mail_from(gateway: Gateway) -> None:
    code, reply = await asyncio.to_thread(plain_mail_from, gateway.smtp_port)

    assert code == 530
    assert reply.startswith("5.7.0")
    assert "STARTTLS" in reply


def test_tls_settings_require_both_files(certificate: Certificate) -> None:
    settings = GatewaySettings(smtp_tls_cert_file=str(certificate.cert_file))

    with pytest.raises(ListenerTlsError, match="smtp_tls_key_file"):
        listener_tls_context(settings)


def test_required_starttls_needs_certificate() -> None:
    settings = GatewaySettings(smtp_require_starttls=True)

    with pytest.raises(ListenerTlsError, match="no certificate"):
        listener_tls_context(settings)


def test_unreadable_certificate_rejected(tmp_path: Path, certificate: Certificate) -> None:
    settings = GatewaySettings(
        smtp_tls_cert_file=str(tmp_path / "missing.crt"),
        smtp_tls_key_file=str(certificate.key_file),
    )

    with pytest.raises(ListenerTlsError, match=r"missing\.crt"):
        listener_tls_context(settings)


def test_no_tls_settings_no_context() -> None:
    assert listener_tls_context(GatewaySettings()) is None
