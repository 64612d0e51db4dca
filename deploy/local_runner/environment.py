"""Environment variables of each child process: where NATS and PostgreSQL are, ports, logs.

Each child inherits the runner's environment. The runner then sets what only it can know
(server URLs, the service's HTTP port, the gateway's SMTP and relay addresses) and adds
local defaults that a variable already set in the environment overrides.
"""

from collections.abc import Mapping

from deploy.local_runner.config import LOCALHOST, RunnerConfig

SUPPORT_DOMAIN = "helpdesk.localhost"
SUPPORT_ADDRESS = f"support@{SUPPORT_DOMAIN}"

# Per service: local defaults for settings that have no sensible built-in value on a laptop.
# The gateway gets no HELPDESK_SUPPORT_ADDRESSES, so it accepts mail to any recipient.
_LOCAL_DEFAULTS: dict[str, dict[str, str]] = {
    "ticket_service": {
        "HELPDESK_SUPPORT_ADDRESS": SUPPORT_ADDRESS,
        "HELPDESK_MAIL_DOMAIN": SUPPORT_DOMAIN,
    },
    "customer_service": {"HELPDESK_SUPPORT_DOMAINS": SUPPORT_DOMAIN},
}


def child_base_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Return the environment every child starts from: the runner's, readable and unbuffered."""
    env = dict(environ)
    env.setdefault("HELPDESK_LOG_JSON", "false")
    # Children write into pipes, which Python would block-buffer. Lines must arrive as written.
    env["PYTHONUNBUFFERED"] = "1"
    return env


def service_environment(
    package: str,
    config: RunnerConfig,
    *,
    nats_url: str,
    database_url: str,
    environ: Mapping[str, str],
) -> dict[str, str]:
    """Return the environment of the service `package`."""
    env = child_base_environment(environ)
    for variable, value in _LOCAL_DEFAULTS.get(package, {}).items():
        env.setdefault(variable, value)
    if package in {"email_gateway", "portal_api"}:
        # One folder for both: the portal stores uploads where the gateway keeps mail
        # attachments, and serves both from there.
        env.setdefault("HELPDESK_BLOB_DIR", str(config.data_dir / "blobs"))
    if package == "portal_api":
        portal_url = f"http://{LOCALHOST}:{config.service_ports[package]}"
        # The local portal is plain HTTP, where a browser drops Secure cookies.
        env.setdefault("HELPDESK_COOKIE_SECURE", "false")
        env.setdefault("HELPDESK_PUBLIC_URL", portal_url)

    env["HELPDESK_NATS_URL"] = nats_url
    # The runtime prefers HELPDESK_DATABASE_URL, but both are set so no stale value wins.
    env["HELPDESK_DATABASE_URL"] = database_url
    env["DATABASE_URL"] = database_url
    env["HELPDESK_HTTP_PORT"] = str(config.service_ports[package])

    if package == "email_gateway":
        env["HELPDESK_SMTP_PORT"] = str(config.smtp_port)
        env["HELPDESK_RELAY_HOST"] = config.relay_host
        env["HELPDESK_RELAY_PORT"] = str(config.relay_port)
    return env
