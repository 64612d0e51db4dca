"""Content-addressed attachments in a bucket of an S3-compatible object store.

Objects are addressed path-style, `<endpoint>/<bucket>/<prefix><sha256>`, which every
S3-compatible server accepts and which needs no DNS name per bucket. Requests are signed
with AWS Signature Version 4 (`helpdesk_runtime.sigv4`) and sent with a synchronous
httpx client: callers run `put` and `read` in a worker thread (`asyncio.to_thread`), like
the file reads and writes of the folder store.
"""

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import structlog

from helpdesk_runtime.blobs import check_sha256
from helpdesk_runtime.sigv4 import Credentials, sign_request

log = structlog.get_logger(__name__)

_ERROR_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>")
_RETRY_PAUSE_SECONDS = 0.2


class BlobStoreError(Exception):
    """Raised when the object store rejects a request or cannot be reached."""


@dataclass(frozen=True)
class S3Location:
    """The location of blobs: the server URL, the bucket, a key prefix and the signing region."""

    endpoint: str
    bucket: str
    prefix: str = ""
    region: str = "us-east-1"


class S3BlobStore:
    """Blobs kept as objects named by the SHA-256 of their content."""

    def __init__(
        self,
        location: S3Location,
        credentials: Credentials,
        *,
        timeout_seconds: float = 30.0,
        max_attempts: int = 3,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.location = location
        self._credentials = credentials
        self._max_attempts = max_attempts
        self._client = httpx.Client(timeout=timeout_seconds)

    def url_of(self, sha256: str) -> str:
        """Return the object URL of the blob with this lower-case hex digest."""
        check_sha256(sha256)
        key = quote(f"{self.location.prefix}{sha256}", safe="/-_.~")
        return f"{self.location.endpoint.rstrip('/')}/{self.location.bucket}/{key}"

    def put(self, content: bytes) -> str:
        """Upload `content` unless an object of the same size exists; return its SHA-256."""
        sha256 = hashlib.sha256(content).hexdigest()
        url = self.url_of(sha256)

        # The name is the content hash, so an object of the right size already has this
        # content. Skipping the upload makes a repeated put cheap.
        existing = self._send("HEAD", url, sha256)
        if existing.status_code == 200:
            if existing.headers.get("content-length") == str(len(content)):
                return sha256
        # S3 answers 403 instead of 404 for a missing object when the key may not list the
        # bucket. A HEAD carries no error code, so a 403 is treated as missing and the PUT
        # that follows shows whether the key may write at all.
        elif existing.status_code not in (403, 404):
            raise _failure("HEAD", url, existing)

        headers = {"content-type": "application/octet-stream"}
        stored = self._send("PUT", url, sha256, headers=headers, content=content)
        if stored.status_code != 200:
            raise _failure("PUT", url, stored)
        log.info("blob uploaded", sha256=sha256, size=len(content))
        return sha256

    def read(self, sha256: str) -> bytes | None:
        """Return the content of a stored blob, or None when the object does not exist."""
        url = self.url_of(sha256)
        response = self._send("GET", url, sha256)
        if response.status_code == 404 and _error_code(response) != "NoSuchBucket":
            return None
        if response.status_code != 200:
            raise _failure("GET", url, response)

        content = response.content
        if hashlib.sha256(content).hexdigest() != sha256:
            raise BlobStoreError(f"content of {url} does not match its SHA-256 name")
        return content

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _send(
        self,
        method: str,
        url: str,
        sha256: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes = b"",
    ) -> httpx.Response:
        # Connection errors, timeouts and 5xx responses are retried: PUT and GET of a
        # content-addressed object can be repeated without changing the result.
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._client.request(
                    method,
                    url,
                    headers=self._signed(method, url, headers, content),
                    content=content,
                )
            except httpx.TransportError as exc:
                if attempt == self._max_attempts:
                    raise BlobStoreError(
                        f"S3 {method} {url} failed after {attempt} attempts: {exc!r}"
                    ) from exc
                log.warning(
                    "blob request failed, retrying",
                    method=method,
                    sha256=sha256,
                    attempt=attempt,
                    error=repr(exc),
                )
            else:
                if response.status_code < 500 or attempt == self._max_attempts:
                    return response
                log.warning(
                    "blob request failed, retrying",
                    method=method,
                    sha256=sha256,
                    attempt=attempt,
                    status=response.status_code,
                )
            time.sleep(_RETRY_PAUSE_SECONDS * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _signed(
        self, method: str, url: str, headers: dict[str, str] | None, content: bytes
    ) -> dict[str, str]:
        # S3 requires the payload hash as a signed header and rejects a body that does not match it.
        payload_sha256 = hashlib.sha256(content).hexdigest()
        to_sign = {"x-amz-content-sha256": payload_sha256, **(headers or {})}
        return sign_request(
            method,
            url,
            to_sign,
            payload_sha256,
            credentials=self._credentials,
            region=self.location.region,
            service="s3",
            now=datetime.now(UTC),
        )


def _error_code(response: httpx.Response) -> str:
    # S3 error bodies are XML with a <Code> element, but HEAD responses have no body.
    match = _ERROR_CODE.search(response.content)
    return match.group(1).decode(errors="replace") if match else ""


def _failure(method: str, url: str, response: httpx.Response) -> BlobStoreError:
    code = _error_code(response)
    code = f" ({code})" if code else ""
    return BlobStoreError(f"S3 {method} {url} failed with HTTP {response.status_code}{code}")
