"""Inbound attachments kept in an S3-compatible bucket when `HELPDESK_BLOB_S3_ENDPOINT` is set.

The bucket lives in moto's S3-compatible server (see tests/support/s3_server.py).
"""

import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from email_gateway.app import create_app
from email_gateway.settings import GatewaySettings
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.settings import load_settings
from tests.email_gateway.test_smtp_inbound import (
    SUPPORT_ADDRESS,
    as_bytes,
    customer_message,
    events_for,
    send_async,
)
from tests.support.s3_server import REGION, S3Server, s3_server, signed_s3_request
from tests.support.servers import serving

PREFIX = "mail/"


@dataclass
class Gateway:
    smtp_port: int
    api_url: str
    blob_dir: Path
    bucket: str


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with s3_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture(scope="module")
async def gateway(
    nats_url: str, database_url: str, s3: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Gateway]:
    bucket = f"gateway-{uuid.uuid4().hex[:12]}"
    created = signed_s3_request(s3, "PUT", f"/{bucket}")
    assert created.status_code == 200, created.text

    blob_dir = tmp_path_factory.mktemp("unused-blobs")
    environ = {
        "HELPDESK_BLOB_S3_ENDPOINT": s3.endpoint,
        "HELPDESK_BLOB_S3_BUCKET": bucket,
        "HELPDESK_BLOB_S3_PREFIX": PREFIX,
        "HELPDESK_BLOB_S3_REGION": REGION,
        "HELPDESK_BLOB_S3_ACCESS_KEY_ID": s3.credentials.access_key_id,
        "HELPDESK_BLOB_S3_SECRET_ACCESS_KEY": s3.credentials.secret_access_key,
    }
    settings = load_settings(
        GatewaySettings,
        environ=environ,
        nats_url=nats_url,
        database_url=database_url,
        http_port=free_port(),
        smtp_port=free_port(),
        relay_port=free_port(),
        support_addresses=SUPPORT_ADDRESS,
        blob_dir=str(blob_dir),
        log_level="warning",
    )
    async with serving(create_app(settings), settings.http_port) as api_url:
        yield Gateway(settings.smtp_port, api_url, blob_dir, bucket)


async def test_smtp_attachment_stored_in_bucket(
    gateway: Gateway, s3: S3Server, nats_url: str
) -> None:
    message_id = f"{uuid.uuid4().hex}@mail.customer.test"
    message = customer_message(message_id=message_id)
    invoice = b"%PDF-1.4 invoice " + uuid.uuid4().bytes
    message.add_attachment(invoice, maintype="application", subtype="pdf", filename="invoice.pdf")

    reply = await send_async(gateway.smtp_port, as_bytes(message))

    assert reply.code == 250
    found = await events_for(nats_url, message_id)
    assert len(found) == 1
    (attachment,) = found[0][1].attachments
    assert attachment.sha256 == hashlib.sha256(invoice).hexdigest()

    stored = signed_s3_request(s3, "GET", f"/{gateway.bucket}/{PREFIX}{attachment.sha256}")
    assert stored.status_code == 200
    assert stored.content == invoice
    assert list(gateway.blob_dir.iterdir()) == []


async def test_api_serves_attachment_from_bucket(gateway: Gateway, s3: S3Server) -> None:
    content = b"PK zipped logs " + uuid.uuid4().bytes
    sha256 = hashlib.sha256(content).hexdigest()
    put = signed_s3_request(s3, "PUT", f"/{gateway.bucket}/{PREFIX}{sha256}", content)
    assert put.status_code == 200

    async with httpx.AsyncClient(base_url=gateway.api_url) as client:
        found = await client.get(f"/attachments/{sha256}")
        missing = await client.get(f"/attachments/{'0' * 64}")

    assert found.status_code == 200
    assert found.content == content
    assert missing.status_code == 404
