"""The folder and the S3 blob stores, run through the same tests, plus the SigV4 signer.

The S3 store talks to moto's S3-compatible server (see tests/support/s3_server.py), which
checks the signature of every request.
"""

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pytest

from helpdesk_runtime.blob_settings import open_blob_store
from helpdesk_runtime.blobs import BlobStorage, BlobStore
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.s3_blobs import BlobStoreError, S3BlobStore, S3Location
from helpdesk_runtime.settings import InvalidSettingsError
from helpdesk_runtime.sigv4 import EMPTY_PAYLOAD_SHA256, Credentials, sign_request
from tests.support.s3_server import REGION, S3Server, s3_server, signed_s3_request

PREFIX = "attachments/"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with s3_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


def create_bucket(s3: S3Server) -> str:
    bucket = f"blobs-{uuid.uuid4().hex[:12]}"
    response = signed_s3_request(s3, "PUT", f"/{bucket}")
    assert response.status_code == 200, response.text
    return bucket


class RawAccess(Protocol):
    """Reads and writes a blob's stored bytes where the store keeps them, bypassing it."""

    def read(self, sha256: str) -> bytes | None: ...
    def write(self, sha256: str, content: bytes) -> None: ...


@dataclass
class FolderRaw:
    root: Path

    def read(self, sha256: str) -> bytes | None:
        path = self.root / sha256[:2] / sha256
        return path.read_bytes() if path.exists() else None

    def write(self, sha256: str, content: bytes) -> None:
        path = self.root / sha256[:2] / sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


@dataclass
class BucketRaw:
    s3: S3Server
    bucket: str

    def read(self, sha256: str) -> bytes | None:
        response = signed_s3_request(self.s3, "GET", f"/{self.bucket}/{PREFIX}{sha256}")
        return response.content if response.status_code == 200 else None

    def write(self, sha256: str, content: bytes) -> None:
        response = signed_s3_request(self.s3, "PUT", f"/{self.bucket}/{PREFIX}{sha256}", content)
        assert response.status_code == 200, response.text


@dataclass
class StoreUnderTest:
    store: BlobStorage
    raw: RawAccess


@pytest.fixture(params=["folder", "s3"])
def under_test(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreUnderTest]:
    if request.param == "folder":
        yield StoreUnderTest(BlobStore(tmp_path), FolderRaw(tmp_path))
        return

    s3: S3Server = request.getfixturevalue("s3")
    bucket = create_bucket(s3)
    store = S3BlobStore(S3Location(s3.endpoint, bucket, PREFIX, REGION), s3.credentials)
    yield StoreUnderTest(store, BucketRaw(s3, bucket))
    store.close()


def test_put_then_read(under_test: StoreUnderTest) -> None:
    content = b"%PDF-1.7 invoice " + uuid.uuid4().bytes

    sha256 = under_test.store.put(content)

    assert sha256 == hashlib.sha256(content).hexdigest()
    assert under_test.store.read(sha256) == content


def test_put_stores_under_documented_name(under_test: StoreUnderTest) -> None:
    content = b"screenshot " + uuid.uuid4().bytes

    sha256 = under_test.store.put(content)

    # Folder: <root>/<sha256[:2]>/<sha256>; bucket: <prefix><sha256>.
    assert under_test.raw.read(sha256) == content


def test_put_twice_keeps_one_copy(under_test: StoreUnderTest) -> None:
    content = b"same file " + uuid.uuid4().bytes
    sha256 = under_test.store.put(content)

    # A same-sized stand-in shows whether the second put wrote again: it must not.
    stand_in = bytes(len(content))
    under_test.raw.write(sha256, stand_in)

    assert under_test.store.put(content) == sha256
    assert under_test.raw.read(sha256) == stand_in


def test_put_replaces_truncated_copy(under_test: StoreUnderTest) -> None:
    content = b"large log file " + uuid.uuid4().bytes
    sha256 = hashlib.sha256(content).hexdigest()
    under_test.raw.write(sha256, content[:5])

    assert under_test.store.put(content) == sha256
    assert under_test.raw.read(sha256) == content


def test_read_missing_returns_none(under_test: StoreUnderTest) -> None:
    missing = hashlib.sha256(uuid.uuid4().bytes).hexdigest()

    assert under_test.store.read(missing) is None


def test_read_invalid_digest_raises(under_test: StoreUnderTest) -> None:
    with pytest.raises(ValueError, match="invalid SHA-256"):
        under_test.store.read("../../etc/passwd")


def test_moto_rejects_wrong_signature(s3: S3Server) -> None:
    bucket = create_bucket(s3)

    response = signed_s3_request(s3, "GET", f"/{bucket}/x", secret="not-the-secret")

    assert response.status_code == 403
    assert b"SignatureDoesNotMatch" in response.content


def test_s3_put_with_wrong_secret_raises(s3: S3Server) -> None:
    bucket = create_bucket(s3)
    credentials = Credentials(s3.credentials.access_key_id, "not-the-secret")
    store = S3BlobStore(S3Location(s3.endpoint, bucket, PREFIX, REGION), credentials)

    with pytest.raises(BlobStoreError, match="HTTP 403"):
        store.put(b"rejected")


def test_s3_read_from_missing_bucket_raises(s3: S3Server) -> None:
    location = S3Location(s3.endpoint, f"absent-{uuid.uuid4().hex[:12]}", PREFIX, REGION)
    store = S3BlobStore(location, s3.credentials)

    with pytest.raises(BlobStoreError, match="NoSuchBucket"):
        store.read(hashlib.sha256(b"x").hexdigest())


def test_s3_read_of_altered_object_raises(s3: S3Server) -> None:
    bucket = create_bucket(s3)
    store = S3BlobStore(S3Location(s3.endpoint, bucket, PREFIX, REGION), s3.credentials)
    sha256 = store.put(b"original")
    BucketRaw(s3, bucket).write(sha256, b"altered!")

    with pytest.raises(BlobStoreError, match="does not match its SHA-256 name"):
        store.read(sha256)


def test_s3_unreachable_raises_after_retries() -> None:
    location = S3Location(f"http://127.0.0.1:{free_port()}", "blobs", PREFIX, REGION)
    store = S3BlobStore(location, Credentials("AKID", "secret"), max_attempts=2)

    with pytest.raises(BlobStoreError, match="after 2 attempts"):
        store.put(b"nowhere to go")


@dataclass(frozen=True)
class BlobFields:
    env_prefix: str = "HELPDESK_"
    blob_dir: str = "var/blobs"
    blob_s3_endpoint: str = ""
    blob_s3_bucket: str = ""
    blob_s3_prefix: str = ""
    blob_s3_region: str = "us-east-1"
    blob_s3_access_key_id: str = ""
    blob_s3_secret_access_key: str = ""
    blob_s3_timeout_seconds: float = 30.0


def test_factory_without_endpoint_opens_folder(tmp_path: Path) -> None:
    store = open_blob_store(BlobFields(blob_dir=str(tmp_path)))

    assert isinstance(store, BlobStore)
    assert store.root == tmp_path


def test_factory_with_endpoint_opens_bucket() -> None:
    settings = BlobFields(
        blob_s3_endpoint="http://127.0.0.1:9000",
        blob_s3_bucket="blobs",
        blob_s3_prefix=PREFIX,
        blob_s3_access_key_id="AKID",
        blob_s3_secret_access_key="secret",
    )

    store = open_blob_store(settings)

    assert isinstance(store, S3BlobStore)
    assert store.location == S3Location("http://127.0.0.1:9000", "blobs", PREFIX, "us-east-1")
    store.close()


def test_factory_names_missing_s3_settings() -> None:
    with pytest.raises(InvalidSettingsError) as raised:
        open_blob_store(BlobFields(blob_s3_endpoint="127.0.0.1:9000"))

    message = str(raised.value)
    assert "HELPDESK_BLOB_S3_ENDPOINT must start with http://" in message
    assert "HELPDESK_BLOB_S3_BUCKET is missing" in message
    assert "HELPDESK_BLOB_S3_SECRET_ACCESS_KEY is missing" in message


def test_credentials_repr_hides_secret() -> None:
    assert "wJalr" not in repr(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI"))


def test_signature_of_get_request_vector() -> None:
    # The "get-vanilla" case of AWS's published SigV4 test suite: GET / on
    # example.amazonaws.com, service "service", with the suite's example key pair.
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    headers = sign_request(
        "GET",
        "https://example.amazonaws.com/",
        {},
        EMPTY_PAYLOAD_SHA256,
        credentials=credentials,
        region="us-east-1",
        service="service",
        now=datetime(2015, 8, 30, 12, 36, tzinfo=UTC),
    )

    assert headers["X-Amz-Date"] == "20150830T123600Z"
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )
