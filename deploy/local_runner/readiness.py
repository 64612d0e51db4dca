"""Readiness checks: HTTP `/ready` for services, an accepted TCP connection for mail servers."""

import asyncio
import contextlib
from collections.abc import Callable

import httpx

POLL_INTERVAL = 0.25


class NotReadyError(Exception):
    """Raised when a child does not become ready. The message contains the last response seen."""


async def wait_for_http_ready(
    base_url: str, *, timeout: float, is_running: Callable[[], bool]
) -> None:
    """Poll `base_url`/ready until it returns 200, the process ends or `timeout` seconds pass."""
    last_seen = "no answer yet"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as client:
        while True:
            try:
                response = await client.get("/ready")
            except httpx.HTTPError as exc:
                last_seen = f"{exc.__class__.__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return
                last_seen = f"HTTP {response.status_code}: {response.text[:300]}"

            if not is_running():
                raise NotReadyError(f"the process exited before {base_url}/ready returned 200")
            if loop.time() > deadline:
                raise NotReadyError(
                    f"{base_url}/ready did not return 200 within {timeout:g} s (last: {last_seen})"
                )
            await asyncio.sleep(POLL_INTERVAL)


async def wait_for_tcp(
    host: str, port: int, *, timeout: float, is_running: Callable[[], bool]
) -> None:
    """Wait until `host`:`port` accepts a connection, the process ends or `timeout` seconds pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return

        if not is_running():
            raise NotReadyError(f"the process exited before {host}:{port} accepted connections")
        if loop.time() > deadline:
            raise NotReadyError(f"{host}:{port} accepted no connection within {timeout:g} s")
        await asyncio.sleep(POLL_INTERVAL)
