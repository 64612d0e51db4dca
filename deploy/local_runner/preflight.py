"""Checks before anything starts: which service modules exist, and which ports they need."""

import importlib.util

from deploy.local_runner.config import SERVICES, RunnerConfig
from deploy.local_runner.output import say


def module_available(module: str) -> bool:
    """Return whether `python -m module` would find the module in this environment."""
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def split_available_services() -> tuple[list[str], list[str]]:
    """Return the service packages that can start and those whose module is missing."""
    available: list[str] = []
    missing: list[str] = []
    for spec in SERVICES:
        if module_available(f"{spec.package}.__main__"):
            available.append(spec.package)
            continue
        missing.append(spec.package)
        say(
            f"{spec.package} is missing (no module {spec.package}.__main__); "
            "starting the other services without it"
        )
    return available, missing


def required_ports(config: RunnerConfig, services: list[str]) -> dict[str, int]:
    """Return the fixed ports (by the variable that sets each) the run will listen on."""
    ports = {
        spec.port_variable: config.service_ports[spec.package]
        for spec in SERVICES
        if spec.package in services
    }
    if "email_gateway" in services:
        ports["HELPDESK_SMTP_PORT"] = config.smtp_port
    if config.start_mail_sink:
        ports["HELPDESK_RELAY_PORT"] = config.relay_port
    return ports
