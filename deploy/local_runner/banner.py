"""The text printed once everything is ready: where to send mail and what to open."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from deploy.local_runner.config import LOCALHOST, SERVICES, RunnerConfig
from deploy.local_runner.environment import SUPPORT_ADDRESS

_RULE = "=" * 78

# Path under each service's base URL worth opening first.
_ENTRY_PATHS = {"ticket_service": "/tickets", "customer_service": "/customers"}


@dataclass(frozen=True)
class RunningStack:
    """Contents of the banner: the configuration, and the servers and services that started."""

    config: RunnerConfig
    started_services: Sequence[str]
    missing_services: Sequence[str]
    nats: str
    database: str
    mail_sink_running: bool
    # A new API key of the demo admin agent, or None without ticket_service.
    agent_key: str | None = None


def smtp_example(port: int) -> str:
    """Return a shell command that sends one message to the SMTP listener on `port`."""
    message = (
        f"From: jane@acme.example\\r\\nTo: {SUPPORT_ADDRESS}\\r\\n"
        "Subject: Printer on fire\\r\\n\\r\\nIt is on fire. Please help.\\r\\n"
    )
    return (
        f"python3 -c \"import smtplib; smtplib.SMTP('{LOCALHOST}', {port})"
        f".sendmail('jane@acme.example', ['{SUPPORT_ADDRESS}'], b'{message}')\""
    )


def banner_text(stack: RunningStack) -> str:
    """Return the banner describing `stack`."""
    config = stack.config
    lines = [_RULE, "Helpdesk is running.", ""]

    if "email_gateway" in stack.started_services:
        lines += [
            f"  Send mail (SMTP)    {LOCALHOST}:{config.smtp_port}, for example:",
            f"    {smtp_example(config.smtp_port)}",
        ]

    for spec in SERVICES:
        if spec.package not in stack.started_services:
            continue
        base_url = f"http://{LOCALHOST}:{config.service_ports[spec.package]}"
        lines.append(f"  {spec.title:<18}  {base_url}{_ENTRY_PATHS.get(spec.package, '')}")
        if spec.package == "ticket_service":
            lines.append(f"  {'OpenAPI docs':<18}  {base_url}/schema/swagger")
            if stack.agent_key:
                lines += _agent_key_lines(stack.agent_key, base_url)

    lines.append(f"  {'Outbound mail':<18}  {_outbound_mail(stack)}")
    lines.append(f"  {'NATS':<18}  {stack.nats}")
    lines.append(f"  {'PostgreSQL':<18}  {stack.database}")
    if stack.missing_services:
        lines.append(f"  {'Not started':<18}  {', '.join(stack.missing_services)} (module missing)")

    lines += ["", "Ctrl-C stops everything.", _RULE]
    return "\n".join(lines)


def _agent_key_lines(key: str, base_url: str) -> list[str]:
    # A new key each start, printed only here: the database keeps its hash alone.
    return [
        f"  {'Agent API key':<18}  {key}",
        "    (admin demo.admin; send it with every call to the agent API, for example:)",
        f"    curl -H 'Authorization: Bearer {key}' {base_url}/tickets",
    ]


def _outbound_mail(stack: RunningStack) -> str:
    config = stack.config
    if stack.mail_sink_running:
        return f"{_shorten(config.outbox_dir)} (one .eml file per message)"
    if config.start_mail_sink:
        return "nowhere: the mail sink is not available, so sending replies fails"
    return f"relayed to {config.relay_host}:{config.relay_port} (HELPDESK_RELAY_HOST)"


def _shorten(path: Path) -> str:
    # Relative to the working directory when inside it: shorter and still correct.
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
