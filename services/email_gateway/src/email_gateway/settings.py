"""Settings of email_gateway, read from `HELPDESK_*` environment variables."""

from typing import ClassVar

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
        "relay_host": "SMTP server that outbound replies are handed to.",
        "relay_port": "TCP port of the outbound SMTP relay.",
        "relay_starttls": "Upgrade the relay connection with STARTTLS before sending.",
        "relay_username": "User name for SMTP AUTH at the relay; empty sends without AUTH.",
        "relay_password": "Password for SMTP AUTH at the relay.",
        "relay_timeout_seconds": "Timeout of each network operation with the relay, in seconds.",
        "blob_dir": "Folder of attachment files, each named by the SHA-256 of its content.",
        "outbound_max_attempts": "Send attempts of one outbound message before it is "
        "reported as failed.",
        "republish_after_seconds": "Age in seconds after which a stored but unpublished raw "
        "message is published again by the republisher.",
        "republish_interval_seconds": "Pause in seconds between two passes of the republisher.",
    }

    http_port: int = 8001
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_hostname: str = ""
    max_message_bytes: int = 25 * 1024 * 1024
    support_addresses: str = ""
    relay_host: str = "127.0.0.1"
    relay_port: int = 2526
    relay_starttls: bool = False
    relay_username: str = ""
    relay_password: str = ""
    relay_timeout_seconds: float = 30.0
    blob_dir: str = "var/blobs"
    outbound_max_attempts: int = 5
    republish_after_seconds: float = 60.0
    republish_interval_seconds: float = 15.0

    def __repr__(self) -> str:
        # msgspec's generated repr would print the relay password into logs and tracebacks.
        return f"GatewaySettings(smtp_port={self.smtp_port}, relay_host={self.relay_host!r}, ...)"
