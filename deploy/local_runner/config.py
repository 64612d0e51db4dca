"""Configuration of the local runner, read from the environment: data folder, ports, switches."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
LOCALHOST = "127.0.0.1"


class ConfigError(Exception):
    """Raised when a runner variable is invalid; the message names the variable."""


@dataclass(frozen=True)
class ServiceSpec:
    """A service the runner starts with `python -m <package> serve`."""

    package: str
    port_variable: str
    default_port: int
    title: str


SERVICES = (
    ServiceSpec("ticket_service", "HELPDESK_TICKET_SERVICE_PORT", 8000, "Agent API"),
    ServiceSpec("email_gateway", "HELPDESK_EMAIL_GATEWAY_PORT", 8001, "Email gateway"),
    ServiceSpec("customer_service", "HELPDESK_CUSTOMER_SERVICE_PORT", 8002, "Customers"),
    ServiceSpec("sla_service", "HELPDESK_SLA_SERVICE_PORT", 8003, "SLA service"),
    ServiceSpec("portal_api", "HELPDESK_PORTAL_API_PORT", 8004, "Customer portal"),
)

MAIL_SINK_MODULE = "email_gateway.mail_sink"


@dataclass(frozen=True)
class RunnerConfig:
    """Everything the runner decides from its environment before it starts anything."""

    data_dir: Path
    service_ports: dict[str, int]
    smtp_port: int
    relay_host: str
    relay_port: int
    # False when HELPDESK_RELAY_HOST names a relay of the user's: no mail sink is started.
    start_mail_sink: bool
    nats_url: str | None
    database_url: str | None
    ready_timeout: float
    seed_demo: bool

    @property
    def outbox_dir(self) -> Path:
        """Folder where the mail sink writes each outbound message as an .eml file."""
        return self.data_dir / "outbox-mail"


def read_config(
    environ: Mapping[str, str], repository_root: Path = REPOSITORY_ROOT
) -> RunnerConfig:
    """Build the runner's configuration from `environ`, raising ConfigError on a bad value."""
    data_dir = Path(environ.get("HELPDESK_DATA_DIR", "") or repository_root / "var")

    service_ports = {
        spec.package: _port(environ, spec.port_variable, spec.default_port) for spec in SERVICES
    }

    relay_host = environ.get("HELPDESK_RELAY_HOST", "")
    database_url = environ.get("HELPDESK_DATABASE_URL") or environ.get("DATABASE_URL") or None

    return RunnerConfig(
        data_dir=data_dir.resolve(),
        service_ports=service_ports,
        smtp_port=_port(environ, "HELPDESK_SMTP_PORT", 2525),
        relay_host=relay_host or LOCALHOST,
        relay_port=_port(environ, "HELPDESK_RELAY_PORT", 2526),
        start_mail_sink=not relay_host,
        nats_url=environ.get("HELPDESK_NATS_URL") or None,
        database_url=database_url,
        ready_timeout=_seconds(environ, "HELPDESK_READY_TIMEOUT", 60.0),
        seed_demo=_flag(environ, "HELPDESK_SEED_DEMO", default=True),
    )


def _port(environ: Mapping[str, str], variable: str, default: int) -> int:
    text = environ.get(variable, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ConfigError(f"{variable}={text!r} is invalid: use a TCP port from 1 to 65535")
    return int(text)


def _seconds(environ: Mapping[str, str], variable: str, default: float) -> float:
    text = environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ConfigError(f"{variable}={text!r} is invalid: use a positive number of seconds")
    return value


def _flag(environ: Mapping[str, str], variable: str, *, default: bool) -> bool:
    text = environ.get(variable, "").strip().lower()
    if not text:
        return default
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{variable}={text!r} is invalid: use true or false")
