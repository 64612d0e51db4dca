"""Settings of sla_service, read from `HELPDESK_*` environment variables."""

from typing import ClassVar

from helpdesk_runtime.settings import BaseSettings


class SlaSettings(BaseSettings, frozen=True, kw_only=True):
    """Settings of sla_service: the shared settings with its own HTTP port and SLA timers."""

    field_help: ClassVar[dict[str, str]] = {
        **BaseSettings.field_help,
        "sla_warning_fractions": (
            "Comma-separated fractions (each above 0 and below 1) of a target's time at which "
            "SlaWarning is sent, e.g. 0.75,0.9; empty for no warnings."
        ),
        "sla_scheduler_batch_size": "Maximum timers fired in one scheduler transaction.",
    }

    http_port: int = 8003
    sla_warning_fractions: str = "0.75,0.9"
    sla_scheduler_batch_size: int = 500

    def warning_fractions(self) -> tuple[float, ...]:
        """Parse `sla_warning_fractions`, raising ValueError for a value outside (0, 1)."""
        fractions = sorted(
            {float(part) for part in self.sla_warning_fractions.split(",") if part.strip()}
        )
        for fraction in fractions:
            if not 0 < fraction < 1:
                raise ValueError(f"SLA warning fraction {fraction} is not between 0 and 1")
        return tuple(fractions)
