"""Reading the runner's variables: defaults, overrides and invalid values."""

from pathlib import Path

import pytest

from deploy.local_runner.config import SERVICES, ConfigError, read_config


def test_defaults_use_documented_ports(tmp_path: Path) -> None:
    config = read_config({}, repository_root=tmp_path)

    assert config.data_dir == (tmp_path / "var").resolve()
    assert config.service_ports == {
        "ticket_service": 8000,
        "email_gateway": 8001,
        "customer_service": 8002,
        "sla_service": 8003,
        "portal_api": 8004,
    }
    assert config.smtp_port == 2525
    assert config.relay_host == "127.0.0.1"
    assert config.relay_port == 2526
    assert config.start_mail_sink is True
    assert config.nats_url is None
    assert config.database_url is None
    assert config.seed_demo is True
    assert config.outbox_dir == config.data_dir / "outbox-mail"


def test_every_port_variable_overrides(tmp_path: Path) -> None:
    environ = {spec.port_variable: str(9100 + index) for index, spec in enumerate(SERVICES)}
    environ |= {"HELPDESK_SMTP_PORT": "9200", "HELPDESK_RELAY_PORT": "9201"}

    config = read_config(environ, repository_root=tmp_path)

    for index, spec in enumerate(SERVICES):
        assert config.service_ports[spec.package] == 9100 + index
    assert config.smtp_port == 9200
    assert config.relay_port == 9201


def test_data_dir_override_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    config = read_config({"HELPDESK_DATA_DIR": "elsewhere"}, repository_root=Path("/unused"))

    assert config.data_dir == (tmp_path / "elsewhere").resolve()


def test_prefixed_database_url_wins(tmp_path: Path) -> None:
    environ = {
        "DATABASE_URL": "postgresql://plain@127.0.0.1/one",
        "HELPDESK_DATABASE_URL": "postgresql://prefixed@127.0.0.1/two",
    }

    config = read_config(environ, repository_root=tmp_path)

    assert config.database_url == "postgresql://prefixed@127.0.0.1/two"


def test_relay_host_turns_off_mail_sink(tmp_path: Path) -> None:
    config = read_config({"HELPDESK_RELAY_HOST": "127.0.0.2"}, repository_root=tmp_path)

    assert config.start_mail_sink is False
    assert config.relay_host == "127.0.0.2"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HELPDESK_TICKET_SERVICE_PORT", "eighty"),
        ("HELPDESK_SMTP_PORT", "70000"),
        ("HELPDESK_RELAY_PORT", "0"),
        ("HELPDESK_READY_TIMEOUT", "-5"),
        ("HELPDESK_READY_TIMEOUT", "soon"),
        ("HELPDESK_SEED_DEMO", "maybe"),
    ],
)
def test_invalid_value_names_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        read_config({variable: value}, repository_root=tmp_path)

    assert variable in str(raised.value)
    assert repr(value) in str(raised.value)


def test_seed_demo_switch(tmp_path: Path) -> None:
    assert read_config({"HELPDESK_SEED_DEMO": "false"}, repository_root=tmp_path).seed_demo is False
    assert read_config({"HELPDESK_SEED_DEMO": "on"}, repository_root=tmp_path).seed_demo is True
