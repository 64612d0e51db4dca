"""Content-addressed files for attachments, shared by the services that keep them.

Layout: `<blob_dir>/<sha256[:2]>/<sha256>`.

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

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class BlobStore:
    """A folder of content-addressed files.

    TODO: an S3-compatible backend chosen by setting. Only the folder exists; several
    replicas on different hosts need the folder on shared storage until then.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        """Return where the blob with this lower-case hex digest lives."""
        if not _SHA256_HEX.match(sha256):
            raise ValueError(f"invalid SHA-256 hex digest: {sha256!r}")
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
