"""Settings of ticket_service, read from `HELPDESK_*` environment variables."""

from typing import ClassVar

from helpdesk_runtime.settings import BaseSettings


class TicketSettings(BaseSettings, frozen=True, kw_only=True):
    """Settings of ticket_service: HTTP port, outbound mail identity and enrichment timing."""

    field_help: ClassVar[dict[str, str]] = {
        **BaseSettings.field_help,
        "mail_domain": "Domain part of the Message-IDs of outbound replies, "
        "ticket.<ticket id>.<interaction id>@<mail_domain>.",
        "support_address": "From address of agent replies.",
        "support_name": "Display name of the From address of agent replies.",
        "resolve_contact_timeout_seconds": "Seconds to wait for customer_service to resolve "
        "the sender of a new ticket before creating it without a contact.",
        "enrichment_retry_seconds": "Seconds between passes that retry resolving the "
        "sender of tickets created without a contact.",
        "auto_close_days": "Days a ticket stays Resolved before it is Closed automatically.",
        "auto_close_interval_seconds": "Seconds between passes that close expired Resolved "
        "tickets.",
        "customer_context_timeout_seconds": "Seconds to wait for customer_service's account "
        "context in the ticket view before showing it as null.",
    }

    http_port: int = 8000
    mail_domain: str = "helpdesk.localhost"
    support_address: str = "support@helpdesk.localhost"
    support_name: str = "Helpdesk Support"
    resolve_contact_timeout_seconds: float = 2.0
    enrichment_retry_seconds: float = 10.0
    auto_close_days: float = 7.0
    auto_close_interval_seconds: float = 60.0
    customer_context_timeout_seconds: float = 0.5
