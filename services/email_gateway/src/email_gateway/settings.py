"""Settings of email_gateway, read from `HELPDESK_*` environment variables."""

from typing import ClassVar

from helpdesk_runtime.blob_settings import BLOB_S3_FIELD_HELP
from helpdesk_runtime.settings import BaseSettings


class GatewaySettings(BaseSettings, frozen=True, kw_only=True):
    """Settings of the SMTP listener, the recipient check, the reply relay and the republisher."""

    field_help: ClassVar[dict[str, str]] = {
        **BaseSettings.field_help,
        "smtp_host": "Address the inbound SMTP listener binds to.",
        "smtp_port": "TCP port of the inbound SMTP listener.",
        "smtp_hostname": "Host name the SMTP listener greets with; empty means this machine's "
        "host name.",
        "max_message_bytes": "Maximum size of one inbound message in bytes; larger messages "
        "are rejected with 552 5.3.4.",
        "support_addresses": "Comma-separated support addresses accepted as recipients, "
        "together with their plus-addressed forms (support+tag@domain); empty accepts any "
        "recipient.",
        "smtp_tls_cert_file": "PEM certificate chain file of the SMTP listener; with "
        "`smtp_tls_key_file` it offers STARTTLS, empty offers no TLS.",
        "smtp_tls_key_file": "PEM private key file of `smtp_tls_cert_file`.",
        "smtp_require_starttls": "Reject MAIL FROM with 530 5.7.0 until the client has "
        "upgraded with STARTTLS; needs the certificate and key files.",
        "support_address": "From address of portal account mail (sign-in links, password "
        "resets); the same variable sets ticket_service's default From address.",
        "support_name": "Display name of the From address of portal account mail.",
        "relay_host": "SMTP server that outbound replies are handed to.",
        "relay_port": "TCP port of the outbound SMTP relay.",
        "relay_starttls": "Upgrade the relay connection with STARTTLS before sending.",
        "relay_username": "User name for SMTP AUTH at the relay; empty sends without AUTH.",
        "relay_password": "Password for SMTP AUTH at the relay.",
        "relay_timeout_seconds": "Timeout of each network operation with the relay, in seconds.",
        "dkim_selector": "DKIM selector of outbound mail, the <selector> of the DNS record "
        "<selector>._domainkey.<domain>; empty with the other DKIM settings turns signing off.",
        "dkim_domain": "Domain (d=) that outbound mail is DKIM-signed for.",
        "dkim_private_key_file": "PEM file of the RSA private key that signs outbound mail.",
        "blob_dir": "Folder of attachment files, each named by the SHA-256 of its content.",
        **BLOB_S3_FIELD_HELP,
        "outbound_max_attempts": "Send attempts of one outbound reply or account message "
        "before it is reported as failed.",
        "republish_after_seconds": "Age in seconds after which a stored but unpublished raw "
        "message is published again by the republisher.",
        "republish_interval_seconds": "Pause in seconds between two passes of the republisher.",
        "rate_limit_messages": "Maximum inbound messages from one sender within "
        "`rate_limit_window_seconds`; the excess is quarantined. 0 turns the limit off.",
        "rate_limit_window_seconds": "Length in seconds of the per-sender rate-limit window.",
        "max_attachments": "Maximum attachments stored per inbound message; the rest are "
        "rejected with a warning on the event, and the message is still accepted.",
        "max_attachment_bytes": "Maximum decoded size in bytes of one stored attachment; "
        "larger ones are rejected with a warning on the event.",
        "webhook_secret": "Shared secret of `POST /inbound/raw`, sent as `Authorization: "
        "Bearer <secret>`; empty turns the endpoint off (404).",
        "imap_host": "IMAP server whose mailbox is imported; empty turns the poller off.",
        "imap_port": "TCP port of the IMAP server (143, or 993 with imap_ssl).",
        "imap_ssl": "Connect to the IMAP server over TLS (IMAPS).",
        "imap_username": "IMAP login name.",
        "imap_password": "IMAP password.",
        "imap_mailbox": "Mailbox (folder) to import from.",
        "imap_poll_seconds": "Seconds between polls; with IDLE, the longest wait in one IDLE.",
        "imap_imported_keyword": "IMAP keyword set on each imported message.",
        "imap_move_to": "Folder imported messages are moved to instead of being flagged; "
        "empty keeps them in place.",
    }

    http_port: int = 8001
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_hostname: str = ""
    max_message_bytes: int = 25 * 1024 * 1024
    support_addresses: str = ""
    smtp_tls_cert_file: str = ""
    smtp_tls_key_file: str = ""
    smtp_require_starttls: bool = False
    support_address: str = "support@helpdesk.localhost"
    support_name: str = "Helpdesk Support"
    relay_host: str = "127.0.0.1"
    relay_port: int = 2526
    relay_starttls: bool = False
    relay_username: str = ""
    relay_password: str = ""
    relay_timeout_seconds: float = 30.0
    dkim_selector: str = ""
    dkim_domain: str = ""
    dkim_private_key_file: str = ""
    blob_dir: str = "var/blobs"
    blob_s3_endpoint: str = ""
    blob_s3_bucket: str = ""
    blob_s3_prefix: str = ""
    blob_s3_region: str = "us-east-1"
    blob_s3_access_key_id: str = ""
    blob_s3_secret_access_key: str = ""
    blob_s3_timeout_seconds: float = 30.0
    outbound_max_attempts: int = 5
    republish_after_seconds: float = 60.0
    republish_interval_seconds: float = 15.0
    rate_limit_messages: int = 20
    rate_limit_window_seconds: float = 600.0
    max_attachments: int = 50
    max_attachment_bytes: int = 20 * 1024 * 1024
    webhook_secret: str = ""
    imap_host: str = ""
    imap_port: int = 143
    imap_ssl: bool = False
    imap_username: str = ""
    imap_password: str = ""
    imap_mailbox: str = "INBOX"
    imap_poll_seconds: float = 30.0
    imap_imported_keyword: str = "HelpdeskImported"
    imap_move_to: str = ""

    def __repr__(self) -> str:
        # msgspec's generated repr would print the relay and IMAP passwords and the webhook secret
        # into logs and tracebacks.
        return f"GatewaySettings(smtp_port={self.smtp_port}, relay_host={self.relay_host!r}, ...)"
