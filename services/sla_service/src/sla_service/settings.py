"""Settings of sla_service, read from `HELPDESK_*` environment variables."""

from helpdesk_runtime.settings import BaseSettings


class SlaSettings(BaseSettings, frozen=True, kw_only=True):
    """Settings of sla_service: the shared settings with its own HTTP port."""

    http_port: int = 8003
