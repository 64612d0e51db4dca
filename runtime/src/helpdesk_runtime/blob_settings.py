"""The `blob_*` settings that choose between the folder store and an S3-compatible bucket.

email_gateway and portal_api declare the same fields, so one environment configures the
store they share. An empty `blob_s3_endpoint` keeps the folder `blob_dir`.
"""

from pathlib import Path
from typing import Protocol

from helpdesk_runtime.blobs import BlobStorage, BlobStore
from helpdesk_runtime.s3_blobs import S3BlobStore, S3Location
from helpdesk_runtime.settings import InvalidSettingsError
from helpdesk_runtime.sigv4 import Credentials

BLOB_S3_FIELD_HELP: dict[str, str] = {
    "blob_s3_endpoint": "URL of an S3-compatible object store for attachments, e.g. "
    "http://127.0.0.1:9000; empty keeps them in the folder `blob_dir`.",
    "blob_s3_bucket": "Bucket of the attachments; it must exist. Required with `blob_s3_endpoint`.",
    "blob_s3_prefix": "Text put before each object name (the SHA-256 of the content), "
    "e.g. attachments/.",
    "blob_s3_region": "Region the object store requests are signed for (AWS Signature Version 4).",
    "blob_s3_access_key_id": "Access key ID for the object store. Required with "
    "`blob_s3_endpoint`.",
    "blob_s3_secret_access_key": "Secret access key for the object store; it is never logged.",
    "blob_s3_timeout_seconds": "Timeout of each object store request in seconds; failed "
    "connections, timeouts and 5xx responses are retried twice.",
}
"""Help texts of the S3 fields, merged into each declaring service's `field_help`."""


class BlobSettings(Protocol):
    """The settings fields `open_blob_store` reads."""

    @property
    def env_prefix(self) -> str: ...
    @property
    def blob_dir(self) -> str: ...
    @property
    def blob_s3_endpoint(self) -> str: ...
    @property
    def blob_s3_bucket(self) -> str: ...
    @property
    def blob_s3_prefix(self) -> str: ...
    @property
    def blob_s3_region(self) -> str: ...
    @property
    def blob_s3_access_key_id(self) -> str: ...
    @property
    def blob_s3_secret_access_key(self) -> str: ...
    @property
    def blob_s3_timeout_seconds(self) -> float: ...


def open_blob_store(settings: BlobSettings) -> BlobStorage:
    """Build the S3 store when `blob_s3_endpoint` is set, otherwise the folder store."""
    if not settings.blob_s3_endpoint:
        return BlobStore(Path(settings.blob_dir))

    _check_s3_settings(settings)
    location = S3Location(
        endpoint=settings.blob_s3_endpoint,
        bucket=settings.blob_s3_bucket,
        prefix=settings.blob_s3_prefix,
        region=settings.blob_s3_region,
    )
    credentials = Credentials(
        access_key_id=settings.blob_s3_access_key_id,
        secret_access_key=settings.blob_s3_secret_access_key,
    )
    return S3BlobStore(location, credentials, timeout_seconds=settings.blob_s3_timeout_seconds)


def _check_s3_settings(settings: BlobSettings) -> None:
    prefix = settings.env_prefix
    problems: list[str] = []
    if not settings.blob_s3_endpoint.startswith(("http://", "https://")):
        problems.append(
            f"{prefix}BLOB_S3_ENDPOINT must start with http:// or https://, "
            f"got {settings.blob_s3_endpoint!r}"
        )
    for name in ("blob_s3_bucket", "blob_s3_access_key_id", "blob_s3_secret_access_key"):
        if not getattr(settings, name):
            problems.append(f"{prefix}{name.upper()} is missing")
    if problems:
        raise InvalidSettingsError(
            "Invalid settings: " + "; ".join(problems) + " (set them, or leave "
            f"{prefix}BLOB_S3_ENDPOINT empty to keep attachments in {prefix}BLOB_DIR)"
        )
