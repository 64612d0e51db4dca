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
        "team_addresses": "Comma-separated team=address pairs, such as "
        "billing=billing@example.com,tech=help@example.com: replies on a ticket assigned "
        "to a listed team are sent from, with Reply-To set to, that team's address; other "
        "replies use support_address.",
        "resolve_contact_timeout_seconds": "Seconds to wait for customer_service to resolve "
        "the sender of a new ticket before creating it without a contact.",
        "enrichment_retry_seconds": "Seconds between passes that retry resolving the "
        "sender of tickets created without a contact.",
        "auto_close_days": "Days a ticket stays Resolved before it is Closed automatically.",
        "auto_close_interval_seconds": "Seconds between passes that close expired Resolved "
        "tickets.",
        "customer_context_timeout_seconds": "Seconds to wait for customer_service's account "
        "context in the ticket view before showing it as null.",
        "contact_scope_timeout_seconds": "Seconds to wait for customer_service to return a "
        "portal viewer's scope before the portal request fails.",
    }

    http_port: int = 8000
    mail_domain: str = "helpdesk.localhost"
    support_address: str = "support@helpdesk.localhost"
    support_name: str = "Helpdesk Support"
    team_addresses: str = ""
    resolve_contact_timeout_seconds: float = 2.0
    enrichment_retry_seconds: float = 10.0
    auto_close_days: float = 7.0
    auto_close_interval_seconds: float = 60.0
    customer_context_timeout_seconds: float = 0.5
    contact_scope_timeout_seconds: float = 2.0

    def __post_init__(self) -> None:
        # msgspec turns the ValueError into a validation error of load_settings, so a
        # malformed team_addresses fails at start-up instead of at the first reply.
        self.team_sender_addresses()

    def team_sender_addresses(self) -> dict[str, str]:
        """Return the From address of each team listed in `team_addresses`."""
        addresses: dict[str, str] = {}
        for entry in self.team_addresses.split(","):
            if not entry.strip():
                continue
            team, separator, address = (part.strip() for part in entry.partition("="))
            if not separator or not team or "@" not in address:
                raise ValueError(
                    f"invalid team_addresses entry {entry.strip()!r}: expected team=address"
                )
            addresses[team] = address
        return addresses
