"""Waiting for `/ready` and for a TCP listener, against small servers started here."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar, Response, get

from deploy.local_runner.readiness import NotReadyError, wait_for_http_ready, wait_for_tcp
from helpdesk_runtime.local_servers import free_port
from tests.support.servers import serving


def always_running() -> bool:
    return True


def readiness_app(failures_before_ready: int) -> tuple[Litestar, list[int]]:
    """Build an app whose /ready returns 503 `failures_before_ready` times, then 200.

    The list returned with it gets one entry per call.
    """
    calls: list[int] = []

    @get("/ready", sync_to_thread=False)
    def ready() -> Response[dict[str, str]]:
        calls.append(1)
        if len(calls) <= failures_before_ready:
            return Response({"status": "unavailable"}, status_code=503)
        return Response({"status": "ok"}, status_code=200)

    return Litestar(route_handlers=[ready]), calls


@pytest.fixture
async def slow_to_ready() -> AsyncIterator[tuple[str, list[int]]]:
    app, calls = readiness_app(failures_before_ready=3)
    async with serving(app) as base_url:
        yield base_url, calls


@pytest.fixture
async def never_ready() -> AsyncIterator[str]:
    app, _ = readiness_app(failures_before_ready=10**9)
    async with serving(app) as base_url:
        yield base_url


async def test_waits_through_503_until_200(slow_to_ready: tuple[str, list[int]]) -> None:
    base_url, calls = slow_to_ready

    await wait_for_http_ready(base_url, timeout=30, is_running=always_running)

    assert len(calls) == 4


async def test_timeout_reports_last_answer(never_ready: str) -> None:
    with pytest.raises(NotReadyError) as raised:
        await wait_for_http_ready(never_ready, timeout=0.5, is_running=always_running)

    assert "HTTP 503" in str(raised.value)
    assert f"{never_ready}/ready" in str(raised.value)


async def test_exited_process_stops_waiting() -> None:
    base_url = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(NotReadyError) as raised:
        await wait_for_http_ready(base_url, timeout=30, is_running=lambda: False)

    assert "exited" in str(raised.value)


async def test_tcp_listener_found() -> None:
    server = await asyncio.start_server(lambda _reader, writer: writer.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await wait_for_tcp("127.0.0.1", port, timeout=30, is_running=always_running)
    finally:
        server.close()
        await server.wait_closed()


async def test_tcp_timeout_names_address() -> None:
    port = free_port()

    with pytest.raises(NotReadyError) as raised:
        await wait_for_tcp("127.0.0.1", port, timeout=0.5, is_running=always_running)

    assert f"127.0.0.1:{port}" in str(raised.value)
