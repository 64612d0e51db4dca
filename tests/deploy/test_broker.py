"""NATS choice: the configured server when reachable, else an embedded one the runner stops."""

import os
from pathlib import Path

from deploy.local_runner.broker import nats_problem, provide_nats
from helpdesk_runtime.local_servers import free_port
from tests.deploy.processes import process_gone


async def test_running_server_has_no_problem(nats_url: str) -> None:
    assert await nats_problem(nats_url) is None


async def test_silent_port_is_a_problem() -> None:
    problem = await nats_problem(f"nats://127.0.0.1:{free_port()}", timeout=1)

    assert problem is not None
    assert problem.startswith("unreachable")


async def test_reachable_configured_server_is_used(nats_url: str, tmp_path: Path) -> None:
    server = await provide_nats(nats_url, tmp_path / "nats", environ=dict(os.environ))

    assert server.url == nats_url
    assert server.started_here is False
    assert server.process is None
    assert not (tmp_path / "nats").exists()


async def test_unreachable_server_starts_embedded(tmp_path: Path) -> None:
    unreachable = f"nats://127.0.0.1:{free_port()}"
    port = free_port()

    server = await provide_nats(
        unreachable, tmp_path / "nats", environ=dict(os.environ), preferred_port=port
    )
    try:
        assert server.url == f"nats://127.0.0.1:{port}"
        assert server.started_here is True
        assert await nats_problem(server.url) is None
        assert (tmp_path / "nats" / "nats.conf").read_text().count("sync_interval: always") == 1
    finally:
        assert server.stop is not None
        await server.stop()

    assert server.process is not None
    assert server.process.pid is not None
    assert process_gone(server.process.pid)
    assert await nats_problem(server.url, timeout=1) is not None


async def test_no_configured_server_starts_embedded(tmp_path: Path) -> None:
    server = await provide_nats(
        None, tmp_path / "nats", environ=dict(os.environ), preferred_port=free_port()
    )
    try:
        assert server.started_here is True
        assert await nats_problem(server.url) is None
    finally:
        assert server.stop is not None
        await server.stop()


async def test_embedded_server_outside_runner_group(tmp_path: Path) -> None:
    server = await provide_nats(
        None, tmp_path / "nats", environ=dict(os.environ), preferred_port=free_port()
    )
    try:
        assert server.process is not None
        assert server.process.pid is not None
        # Ctrl-C in a terminal signals the runner's process group, so the server is outside it.
        assert os.getpgid(server.process.pid) != os.getpgrp()
    finally:
        assert server.stop is not None
        await server.stop()
