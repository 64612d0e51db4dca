"""Settings of portal_api, read from `HELPDESK_*` environment variables."""

from helpdesk_runtime.settings import BaseSettings


class PortalSettings(BaseSettings, frozen=True, kw_only=True):
    """The listening address and port of portal_api."""

    http_port: int = 8004
