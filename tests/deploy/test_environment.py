"""The environment each service process gets."""

from pathlib import Path

import pytest

from deploy.local_runner.config import SERVICES, RunnerConfig, ServiceSpec, read_config
from deploy.local_runner.environment import (
    SUPPORT_ADDRESS,
    child_base_environment,
    service_environment,
)

NATS_URL = "nats://127.0.0.1:4999"
DATABASE_URL = "postgresql://postgres@127.0.0.1:5999/helpdesk"


@pytest.fixture
def config(tmp_path: Path) -> RunnerConfig:
    return read_config({"HELPDESK_SMTP_PORT": "2600"}, repository_root=tmp_path)


def environment_of(package: str, config: RunnerConfig, **environ: str) -> dict[str, str]:
    return service_environment(
        package, config, nats_url=NATS_URL, database_url=DATABASE_URL, environ=environ
    )


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.package)
def test_every_service_gets_servers_and_port(spec: ServiceSpec, config: RunnerConfig) -> None:
    package = spec.package
    env = environment_of(package, config, PATH="/usr/bin")

    assert env["HELPDESK_NATS_URL"] == NATS_URL
    assert env["HELPDESK_DATABASE_URL"] == DATABASE_URL
    assert env["DATABASE_URL"] == DATABASE_URL
    assert env["HELPDESK_HTTP_PORT"] == str(config.service_ports[package])
    assert env["HELPDESK_LOG_JSON"] == "false"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PATH"] == "/usr/bin"


def test_runner_values_replace_inherited_ones(config: RunnerConfig) -> None:
    env = environment_of(
        "sla_service",
        config,
        HELPDESK_NATS_URL="nats://127.0.0.1:1",
        DATABASE_URL="postgresql://stale@127.0.0.1/old",
        HELPDESK_HTTP_PORT="1234",
    )

    assert env["HELPDESK_NATS_URL"] == NATS_URL
    assert env["DATABASE_URL"] == DATABASE_URL
    assert env["HELPDESK_HTTP_PORT"] == "8003"


def test_gateway_gets_smtp_relay_and_blobs(config: RunnerConfig) -> None:
    env = environment_of("email_gateway", config)

    assert env["HELPDESK_SMTP_PORT"] == "2600"
    assert env["HELPDESK_RELAY_HOST"] == "127.0.0.1"
    assert env["HELPDESK_RELAY_PORT"] == "2526"
    assert env["HELPDESK_BLOB_DIR"] == str(config.data_dir / "blobs")
    assert "HELPDESK_SUPPORT_ADDRESSES" not in env


def test_ticket_service_gets_support_address(config: RunnerConfig) -> None:
    env = environment_of("ticket_service", config)

    assert env["HELPDESK_SUPPORT_ADDRESS"] == SUPPORT_ADDRESS
    assert env["HELPDESK_MAIL_DOMAIN"] == "helpdesk.localhost"


def test_customer_service_gets_support_domain(config: RunnerConfig) -> None:
    env = environment_of("customer_service", config)

    assert env["HELPDESK_SUPPORT_DOMAINS"] == "helpdesk.localhost"


def test_user_settings_override_local_defaults(config: RunnerConfig) -> None:
    env = environment_of(
        "ticket_service",
        config,
        HELPDESK_SUPPORT_ADDRESS="help@example.test",
        HELPDESK_LOG_JSON="true",
    )

    assert env["HELPDESK_SUPPORT_ADDRESS"] == "help@example.test"
    assert env["HELPDESK_LOG_JSON"] == "true"


def test_base_environment_copies_input() -> None:
    source = {"HOME": "/home/agent"}

    env = child_base_environment(source)
    env["EXTRA"] = "1"

    assert source == {"HOME": "/home/agent"}
    assert env["HOME"] == "/home/agent"
