"""Settings of portal_api, read from `HELPDESK_*` environment variables."""

import re
from typing import ClassVar

from helpdesk_runtime.blob_settings import BLOB_S3_FIELD_HELP
from helpdesk_runtime.settings import BaseSettings

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class PortalSettings(BaseSettings, frozen=True, kw_only=True):
    """Branding, sign-in, session, upload and spam-protection settings of the portal."""

    field_help: ClassVar[dict[str, str]] = {
        **BaseSettings.field_help,
        "public_url": "Base URL customers reach the portal at, used in the links of account "
        "mail, e.g. https://support.example.com.",
        "product_name": "Name shown in the page header, titles and account mail.",
        "logo_url": "URL of the logo shown in the page header; empty shows the name only.",
        "primary_colour": "Brand colour of buttons and links, as #rrggbb.",
        "secret_key": "Secret that signs CSRF tokens and web-form timestamps; every replica "
        "needs the same value. Empty generates one per process (single replica only).",
        "cookie_secure": "Mark cookies Secure, so browsers send them over HTTPS only; set "
        "false only for plain-HTTP local use.",
        "session_days": "Days a sign-in session lasts.",
        "sign_in_link_minutes": "Minutes an emailed sign-in link stays valid.",
        "reset_link_minutes": "Minutes an emailed password-reset link stays valid.",
        "min_password_length": "Minimum length of a portal password, in characters.",
        "sign_in_attempts_per_address": "Failed password sign-ins allowed per address within "
        "`sign_in_window_seconds`; further attempts are rejected until the window passes.",
        "sign_in_attempts_per_ip": "Failed password sign-ins allowed per client IP within "
        "`sign_in_window_seconds`.",
        "sign_in_window_seconds": "Length in seconds of the sign-in rate-limit window.",
        "link_requests_per_address": "Sign-in and reset mails allowed per address within "
        "`sign_in_window_seconds`; further requests send nothing.",
        "link_requests_per_ip": "Sign-in and reset mail requests allowed per client IP within "
        "`sign_in_window_seconds`.",
        "web_form_per_ip": "Anonymous web-form submissions allowed per client IP within "
        "`web_form_window_seconds`.",
        "web_form_window_seconds": "Length in seconds of the web-form rate-limit window.",
        "web_form_min_fill_seconds": "Minimum seconds between showing the anonymous web form "
        "and its submission; faster submissions are treated as automated.",
        "max_attachments": "Maximum files attached to one portal message or form.",
        "max_attachment_bytes": "Maximum size in bytes of one uploaded file.",
        "blob_dir": "Folder of attachment files, shared with email_gateway.",
        **BLOB_S3_FIELD_HELP,
        "request_timeout_seconds": "Seconds to wait for ticket_service or customer_service to "
        "answer a request.",
        "trust_forwarded_for": "Take the client IP from the first X-Forwarded-For address "
        "(only behind a proxy that sets it).",
        "page_size": "Tickets per page of the ticket list.",
        "live_stream_seconds": "Seconds after which a live-update stream is ended; the "
        "browser reconnects and reloads what changed, so a stuck connection cannot last.",
        "max_live_connections": "Maximum open live-update (server-sent events) connections of "
        "one process; further ones are answered 503.",
    }

    http_port: int = 8004
    public_url: str = "http://127.0.0.1:8004"
    product_name: str = "Helpdesk"
    logo_url: str = ""
    primary_colour: str = "#1d4ed8"
    secret_key: str = ""
    cookie_secure: bool = True
    session_days: int = 14
    sign_in_link_minutes: int = 20
    reset_link_minutes: int = 30
    min_password_length: int = 10
    sign_in_attempts_per_address: int = 5
    sign_in_attempts_per_ip: int = 30
    sign_in_window_seconds: float = 900.0
    link_requests_per_address: int = 5
    link_requests_per_ip: int = 30
    web_form_per_ip: int = 5
    web_form_window_seconds: float = 600.0
    web_form_min_fill_seconds: float = 3.0
    max_attachments: int = 10
    max_attachment_bytes: int = 10 * 1024 * 1024
    blob_dir: str = "var/blobs"
    blob_s3_endpoint: str = ""
    blob_s3_bucket: str = ""
    blob_s3_prefix: str = ""
    blob_s3_region: str = "us-east-1"
    blob_s3_access_key_id: str = ""
    blob_s3_secret_access_key: str = ""
    blob_s3_timeout_seconds: float = 30.0
    request_timeout_seconds: float = 5.0
    trust_forwarded_for: bool = False
    page_size: int = 25
    live_stream_seconds: float = 600.0
    max_live_connections: int = 5000

    def __repr__(self) -> str:
        # msgspec's generated repr would print the secret key and the object store secret
        # into logs and tracebacks.
        return f"PortalSettings(http_port={self.http_port}, public_url={self.public_url!r}, ...)"

    def __post_init__(self) -> None:
        if not _HEX_COLOUR.match(self.primary_colour):
            raise ValueError(f"primary_colour must look like #1d4ed8, got {self.primary_colour!r}")

    def portal_link(self, path: str) -> str:
        """Return the absolute URL of `path` (starting with /) on the public portal."""
        return self.public_url.rstrip("/") + path
