"""Settings of portal_api, read from `HELPDESK_*` environment variables."""

from helpdesk_runtime.settings import BaseSettings


class PortalSettings(BaseSettings, frozen=True, kw_only=True):
    """Where portal_api listens."""

    http_port: int = 8004
