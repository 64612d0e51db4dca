"""The banner: what it lists for a full stack and for a partial one."""

import asyncio
import email
import email.policy
from pathlib import Path

import pytest

from deploy.local_runner.banner import RunningStack, banner_text, smtp_example
from deploy.local_runner.config import SERVICES, RunnerConfig, read_config
from email_gateway.mail_sink import running_mail_sink
from helpdesk_runtime.local_servers import free_port


@pytest.fixture
def config(tmp_path: Path) -> RunnerConfig:
    return read_config({}, repository_root=tmp_path)


def full_stack(config: RunnerConfig, **changes: object) -> RunningStack:
    values: dict[str, object] = {
        "config": config,
        "started_services": [spec.package for spec in SERVICES],
        "missing_services": [],
        "nats": "nats://127.0.0.1:4222 (embedded)",
        "database": "postgresql://postgres@127.0.0.1:5432/helpdesk (local)",
        "mail_sink_running": True,
    }
    values.update(changes)
    return RunningStack(**values)  # type: ignore[arg-type]


def test_full_stack_lists_every_address(config: RunnerConfig) -> None:
    text = banner_text(full_stack(config))

    assert "127.0.0.1:2525" in text
    assert "import smtplib" in text
    assert "http://127.0.0.1:8000/tickets" in text
    assert "http://127.0.0.1:8000/schema/swagger" in text
    assert "http://127.0.0.1:8001" in text
    assert "http://127.0.0.1:8002/customers" in text
    assert "http://127.0.0.1:8003" in text
    assert "http://127.0.0.1:8004" in text
    assert str(config.outbox_dir) in text
    assert "nats://127.0.0.1:4222" in text
    assert "postgresql://postgres@127.0.0.1:5432/helpdesk" in text
    assert "Ctrl-C stops everything" in text
    assert "Not started" not in text


def test_agent_key_is_shown_with_a_curl_example(config: RunnerConfig) -> None:
    key = "hdk_0123456789abcdef_secret"

    text = banner_text(full_stack(config, agent_key=key))

    assert f"Agent API key       {key}" in text
    assert f"curl -H 'Authorization: Bearer {key}' http://127.0.0.1:8000/tickets" in text
    assert "Agent API key" not in banner_text(full_stack(config))


def test_missing_services_are_named(config: RunnerConfig) -> None:
    running = [spec.package for spec in SERVICES if spec.package != "ticket_service"]
    stack = full_stack(config, started_services=running, missing_services=["ticket_service"])

    text = banner_text(stack)

    assert "http://127.0.0.1:8000" not in text
    assert "ticket_service (module missing)" in text


def test_no_smtp_line_without_gateway(config: RunnerConfig) -> None:
    running = [spec.package for spec in SERVICES if spec.package != "email_gateway"]

    text = banner_text(full_stack(config, started_services=running))

    assert "smtplib" not in text


def test_missing_sink_is_explained(config: RunnerConfig) -> None:
    text = banner_text(full_stack(config, mail_sink_running=False))

    assert "mail sink is not available" in text


def test_external_relay_is_named(tmp_path: Path) -> None:
    config = read_config(
        {"HELPDESK_RELAY_HOST": "127.0.0.9", "HELPDESK_RELAY_PORT": "2600"},
        repository_root=tmp_path,
    )

    text = banner_text(full_stack(config, mail_sink_running=False))

    assert "relayed to 127.0.0.9:2600" in text


async def test_smtp_example_delivers_message(tmp_path: Path) -> None:
    port = free_port()
    command = smtp_example(port)

    async with running_mail_sink(tmp_path / "mail", port) as sink:
        process = await asyncio.create_subprocess_exec("bash", "-c", command)
        exit_code = await process.wait()
        stored = sink.messages()

    assert exit_code == 0
    assert len(stored) == 1
    message = email.message_from_bytes(stored[0].read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Printer on fire"
    assert message["From"] == "jane@acme.example"
