"""Content-addressed files for attachments, shared by the services that keep them.

Two stores satisfy `BlobStorage`: `BlobStore`, a folder laid out as
`<blob_dir>/<sha256[:2]>/<sha256>`, and `helpdesk_runtime.s3_blobs.S3BlobStore`, a bucket
of an S3-compatible object store. `helpdesk_runtime.blob_settings.open_blob_store` picks
one from the `blob_*` settings.

A file is named by the SHA-256 of its content, so storing the same attachment twice
writes it once, and a name can be checked against its content at any time. Files are
written under a temporary name and renamed into place, so a reader never sees a partly
written blob.
"""

import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import Protocol, runtime_checkable

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


# Runtime-checkable because Litestar validates a handler dependency with isinstance.
@runtime_checkable
class BlobStorage(Protocol):
    """A content-addressed store; both methods block, so async callers use a worker thread."""

    def put(self, content: bytes) -> str:
        """Store `content` unless it is already stored; return its SHA-256 hex digest."""
        ...

    def read(self, sha256: str) -> bytes | None:
        """Return the content of a stored blob, or None when there is none."""
        ...


def check_sha256(sha256: str) -> None:
    """Raise ValueError unless `sha256` is a lower-case SHA-256 hex digest."""
    if not _SHA256_HEX.match(sha256):
        raise ValueError(f"invalid SHA-256 hex digest: {sha256!r}")


class BlobStore:
    """A folder of content-addressed files.

    Several replicas on different hosts need the folder on shared storage; the S3 store
    (`helpdesk_runtime.s3_blobs`) is the alternative for them.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        """Return where the blob with this lower-case hex digest lives."""
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256

    def put(self, content: bytes) -> str:
        """Store `content` unless it is already stored; return its SHA-256 hex digest."""
        sha256 = hashlib.sha256(content).hexdigest()
        target = self.path_of(sha256)
        if target.exists() and target.stat().st_size == len(content):
            return sha256

        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{sha256}.{uuid.uuid4().hex}.tmp")
        with temporary.open("wb") as file:
            file.write(content)
            file.flush()
            # The raw message in PostgreSQL stays the source of truth, but an attachment
            # announced in an event should survive a power cut as well.
            os.fsync(file.fileno())
        temporary.replace(target)
        return sha256

    def read(self, sha256: str) -> bytes | None:
        """Return the content of a stored blob, or None when there is none."""
        path = self.path_of(sha256)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
