"""Settings of customer_service, read from `HELPDESK_*` environment variables."""

from typing import ClassVar

from helpdesk_runtime.settings import BaseSettings


class CustomerSettings(BaseSettings, frozen=True, kw_only=True):
    """Where customer_service listens and which domains never identify a customer."""

    field_help: ClassVar[dict[str, str]] = {
        **BaseSettings.field_help,
        "support_domains": "Comma-separated domains of our own support addresses; "
        "senders there are never linked to a customer by domain.",
        "free_mail_domains_file": "Optional file with extra free-mail domains, one per line, "
        "added to the built-in list without a release.",
        "plus_addressing": "Whether name+tag@domain is the contact of name@domain (true or false).",
    }

    http_port: int = 8002
    support_domains: str = ""
    free_mail_domains_file: str = ""
    plus_addressing: bool = True

    def support_domain_set(self) -> frozenset[str]:
        """Return the support domains, lower-cased."""
        return frozenset(
            part.strip().lower() for part in self.support_domains.split(",") if part.strip()
        )
