"""API key authentication benchmark: what checking the bearer key adds to an agent API call.

Creates a fresh database, starts ticket_service as its own process
(`python -m ticket_service serve`) and sends `--requests` requests one at a time to:

- `GET /health`, which skips authentication (the floor: HTTP and routing only);
- `GET /agents/me` with a valid key (the key lookup with its agent, then one more read);
- `GET /agents/me` with a key of a known id but a wrong secret (rejected with 401);
- `GET /agents/me` with a valid key, `--in-flight` requests at a time (throughput).

The database is dropped at the end. Run with `uv run python -m bench.agent_auth` from
the repository root.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from bench.agent_key import bearer, bench_agent_key
from bench.ticket_scale import migrate, percentile, service_environment, service_ready
from helpdesk_runtime.local_servers import free_port
from tests.support.infrastructure import fresh_database, nats_server, postgres_admin_url
from tests.support.servers import wait_until

Request = Callable[[], Awaitable[httpx.Response]]


async def timed_requests(request: Request, count: int, expected_status: int) -> list[float]:
    """Send `count` requests one after another and return each latency in seconds."""
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = await request()
        latencies.append(time.perf_counter() - started)
        if response.status_code != expected_status:
            raise RuntimeError(f"expected HTTP {expected_status}, got {response.status_code}")
    return latencies


async def throughput(request: Request, count: int, in_flight: int) -> float:
    """Send `count` requests with `in_flight` at a time; return requests per second."""
    remaining = iter(range(count))

    async def worker() -> None:
        for _ in remaining:
            response = await request()
            if response.status_code != 200:
                raise RuntimeError(f"expected HTTP 200, got {response.status_code}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return count / (time.perf_counter() - started)


async def run(base_url: str, database_url: str, arguments: argparse.Namespace) -> None:
    await wait_until(lambda: service_ready(base_url), timeout=120)
    key = await asyncio.to_thread(bench_agent_key, database_url)
    key_id = key.split("_")[1]
    wrong_key = f"hdk_{key_id}_{'A' * 43}"

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        scenarios: list[tuple[str, Request, int]] = [
            ("GET /health (no authentication)", lambda: client.get("/health"), 200),
            (
                "GET /agents/me, valid key",
                lambda: client.get("/agents/me", headers=bearer(key)),
                200,
            ),
            (
                "GET /agents/me, wrong secret (401)",
                lambda: client.get("/agents/me", headers=bearer(wrong_key)),
                401,
            ),
        ]
        print(f"\n{arguments.requests} requests per scenario, one at a time:")
        print("| request | p50 | p99 | load average (1 min) |")
        print("|---|---|---|---|")
        for name, request, status in scenarios:
            # The warm-up fills the connection pools and PostgreSQL's buffers.
            await timed_requests(request, arguments.warm_up, status)
            latencies = await timed_requests(request, arguments.requests, status)
            p50 = statistics.median(latencies) * 1000
            p99 = percentile(latencies, 0.99) * 1000
            print(f"| {name} | {p50:.2f} ms | {p99:.2f} ms | {os.getloadavg()[0]:.1f} |")

        def valid() -> Awaitable[httpx.Response]:
            return client.get("/agents/me", headers=bearer(key))

        rate = await throughput(valid, arguments.requests, arguments.in_flight)
        print(
            f"\nGET /agents/me with a valid key, {arguments.in_flight} in flight: "
            f"{rate:,.0f} requests/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per scenario")
    parser.add_argument("--warm-up", type=int, default=50, help="warm-up requests per scenario")
    parser.add_argument("--in-flight", type=int, default=16, help="concurrent requests")
    arguments = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as folder,
        nats_server(Path(folder) / "nats") as nats_url,
        postgres_admin_url(Path(folder) / "postgres") as admin_url,
        fresh_database(admin_url) as database_url,
    ):
        port = free_port()
        environment = service_environment(nats_url, database_url, port)
        migrate("ticket_service", environment)
        service = subprocess.Popen(
            [sys.executable, "-m", "ticket_service", "serve"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            asyncio.run(run(f"http://127.0.0.1:{port}", database_url, arguments))
        finally:
            service.terminate()
            service.wait(timeout=30)


if __name__ == "__main__":
    main()
