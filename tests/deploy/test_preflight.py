"""Checks before start-up: missing service modules and the ports a run needs."""

from pathlib import Path

from deploy.local_runner.config import read_config
from deploy.local_runner.preflight import module_available, required_ports


def test_existing_service_module_found() -> None:
    assert module_available("customer_service.__main__") is True


def test_missing_package_reported_missing() -> None:
    assert module_available("no_such_service.__main__") is False


def test_missing_submodule_reported_missing() -> None:
    assert module_available("customer_service.no_such_module") is False


def test_gateway_adds_smtp_and_relay_ports(tmp_path: Path) -> None:
    config = read_config({}, repository_root=tmp_path)

    ports = required_ports(config, ["ticket_service", "email_gateway"])

    assert ports == {
        "HELPDESK_TICKET_SERVICE_PORT": 8000,
        "HELPDESK_EMAIL_GATEWAY_PORT": 8001,
        "HELPDESK_SMTP_PORT": 2525,
        "HELPDESK_RELAY_PORT": 2526,
    }


def test_external_relay_needs_no_local_port(tmp_path: Path) -> None:
    config = read_config({"HELPDESK_RELAY_HOST": "127.0.0.9"}, repository_root=tmp_path)

    ports = required_ports(config, ["customer_service"])

    assert ports == {"HELPDESK_CUSTOMER_SERVICE_PORT": 8002}
