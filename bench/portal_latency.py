"""Portal benchmark: page latency with a signed-in session, and live-update fan-out capacity.

Starts a private nats-server and PostgreSQL, runs customer_service and ticket_service in
this process and portal_api as a separate process (`python -m portal_api serve`), signs
a customer in through an emailed link and opens `--tickets` tickets through the portal.

1. Page latency: `--requests` GETs of the ticket list and as many of one ticket page
   (which has agent replies on it). Each runs one at a time and then `--in-flight` at
   once, and reports p50 and p99.
2. Live updates: opens server-sent event streams on the ticket page's stream in steps
   (`--steps`), and at each step posts agent replies through ticket_service's API and
   measures when each stream receives the reply. A step passes when every stream got
   every reply within one second; the benchmark stops at the first step that fails.

Run with `uv run python -m bench.portal_latency` from the repository root.
"""

import argparse
import asyncio
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import nats

from bench.agent_key import bearer, bench_agent_key
from customer_service.app import create_app as create_customer_app
from customer_service.settings import CustomerSettings
from helpdesk_runtime.local_servers import free_port
from helpdesk_runtime.logging import configure_logging
from helpdesk_runtime.settings import load_settings
from tests.portal_api.support import (
    account_mailbox,
    new_customer_contact,
    post_form,
    sign_in_by_link,
    submit_ticket,
)
from tests.support.infrastructure import fresh_database, nats_server, postgres_admin_url
from tests.support.servers import serving, wait_until
from ticket_service.app import create_app as create_ticket_app
from ticket_service.settings import TicketSettings

LATENCY_BUDGET_SECONDS = 1.0
OPEN_CONCURRENCY = 25


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def portal_environment(
    nats_url: str, database_url: str, port: int, blob_dir: Path
) -> dict[str, str]:
    return {
        **os.environ,
        "HELPDESK_NATS_URL": nats_url,
        "HELPDESK_DATABASE_URL": database_url,
        "HELPDESK_HTTP_PORT": str(port),
        "HELPDESK_LOG_JSON": "true",
        "HELPDESK_LOG_LEVEL": "warning",
        "HELPDESK_COOKIE_SECURE": "false",
        "HELPDESK_SECRET_KEY": uuid.uuid4().hex,
        "HELPDESK_BLOB_DIR": str(blob_dir),
        "HELPDESK_MAX_LIVE_CONNECTIONS": "20000",
    }


async def is_ready(base_url: str) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{base_url}/ready")).status_code == 200
    except httpx.HTTPError:
        return False


async def timed_gets(
    client: httpx.AsyncClient, path: str, count: int, in_flight: int
) -> tuple[list[float], float]:
    """GET `path` `count` times with `in_flight` at once; return latencies and requests/s."""
    latencies: list[float] = []
    queue = iter(range(count))

    async def worker() -> None:
        for _ in queue:
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} returned status {response.status_code}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return latencies, count / (time.perf_counter() - started)


class LiveStreams:
    """Raw HTTP/1.1 SSE connections, recording when each receives a marker text."""

    def __init__(self, port: int, path: str, cookie: str) -> None:
        self.port = port
        self.path = path
        self.cookie = cookie
        self.arrivals: dict[str, list[float]] = {}
        self.readers: list[asyncio.Task[None]] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.failed = 0

    async def open_one(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        request = (
            f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Cookie: {self.cookie}\r\nAccept: text/event-stream\r\n\r\n"
        )
        writer.write(request.encode())
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            self.failed += 1
            writer.close()
            return
        while (await reader.readline()).strip():
            pass
        # The stream sends its "connected" comment once the hub has registered it.
        while not (await reader.readline()).startswith(b": connected"):
            pass
        self.writers.append(writer)
        self.readers.append(asyncio.create_task(self._read(reader)))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            if line.startswith(b"data: ") and b"bench-marker-" in line:
                marker = line.split(b"bench-marker-", 1)[1][:12].decode()
                self.arrivals.setdefault(marker, []).append(time.perf_counter())

    async def grow_to(self, count: int) -> None:
        slots = asyncio.Semaphore(OPEN_CONCURRENCY)

        async def open_in_slot() -> None:
            async with slots:
                await self.open_one()

        missing = count - len(self.writers)
        await asyncio.gather(*(open_in_slot() for _ in range(missing)))

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        for writer in self.writers:
            writer.close()


async def measure_fan_out(
    streams: LiveStreams, post_reply: Callable[[str], Awaitable[None]], replies: int
) -> tuple[list[float], float]:
    """Post replies one by one; return every stream's delay and the share delivered."""
    delays: list[float] = []
    delivered = 0
    for _ in range(replies):
        marker = uuid.uuid4().hex[:12]
        started = time.perf_counter()
        await post_reply(f"Agent answer bench-marker-{marker}")
        deadline = started + LATENCY_BUDGET_SECONDS + 2.0
        while len(streams.arrivals.get(marker, [])) < len(streams.writers):
            if time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.01)
        arrivals = streams.arrivals.get(marker, [])
        delays.extend(arrival - started for arrival in arrivals)
        delivered += len(arrivals)
    return delays, delivered / (replies * len(streams.writers))


async def run(
    nats_url: str, database_url: str, blob_dir: Path, arguments: argparse.Namespace
) -> None:
    customer_settings = load_settings(
        CustomerSettings, environ={}, nats_url=nats_url, database_url=database_url
    )
    ticket_settings = load_settings(
        TicketSettings,
        environ={},
        nats_url=nats_url,
        database_url=database_url,
        mail_domain="bench.test",
        support_address="support@bench.test",
    )
    async with (
        serving(create_customer_app(customer_settings)) as customer_url,
        serving(create_ticket_app(ticket_settings)) as ticket_url,
        httpx.AsyncClient(base_url=customer_url, timeout=30) as customer_api,
        httpx.AsyncClient(
            base_url=ticket_url,
            timeout=30,
            headers=bearer(await asyncio.to_thread(bench_agent_key, database_url)),
        ) as agent_api,
    ):
        port = free_port()
        portal = subprocess.Popen(  # noqa: ASYNC220 (started once, before any measuring)
            [sys.executable, "-m", "portal_api", "serve"],
            env=portal_environment(nats_url, database_url, port, blob_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        portal_url = f"http://127.0.0.1:{port}"
        try:
            await wait_until(lambda: is_ready(portal_url), timeout=60)
            await measure_portal(portal_url, port, customer_api, agent_api, nats_url, arguments)
        finally:
            portal.terminate()
            portal.wait(timeout=60)


async def measure_portal(
    portal_url: str,
    port: int,
    customer_api: httpx.AsyncClient,
    agent_api: httpx.AsyncClient,
    nats_url: str,
    arguments: argparse.Namespace,
) -> None:
    connection = await nats.connect(nats_url)
    mailbox = await account_mailbox(connection)
    customer = await new_customer_contact(customer_api)
    async with httpx.AsyncClient(base_url=portal_url, timeout=30) as client:
        await sign_in_by_link(client, mailbox, customer.address)
        numbers = [
            await submit_ticket(client, f"Bench ticket {index}")
            for index in range(arguments.tickets)
        ]
        page_number = numbers[-1]
        ticket = (await agent_api.get(f"/tickets/by-number/{page_number}")).json()
        for index in range(5):
            await agent_api.post(
                f"/tickets/{ticket['id']}/replies",
                json={"text": f"Agent answer {index}"},
            )
        await post_form(client, f"/tickets/{page_number}/replies", {"text_body": "Thanks!"})

        print(f"\nPage latency, {arguments.requests} GETs per row, {arguments.tickets} tickets:")
        print("| page | in flight | p50 | p99 | requests/s |")
        print("|---|---|---|---|---|")
        for name, path in (("ticket list", "/tickets"), ("ticket page", f"/tickets/{page_number}")):
            await timed_gets(client, path, 50, 1)
            for in_flight in (1, arguments.in_flight):
                latencies, rate = await timed_gets(client, path, arguments.requests, in_flight)
                p50 = statistics.median(latencies) * 1000
                p99 = percentile(latencies, 0.99) * 1000
                print(
                    f"| {name} | {in_flight} | {p50:.1f} ms | {p99:.1f} ms | {rate:,.0f} |",
                    flush=True,
                )

        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())

    async def post_reply(text: str) -> None:
        response = await agent_api.post(f"/tickets/{ticket['id']}/replies", json={"text": text})
        if response.status_code != 201:
            raise RuntimeError(f"agent reply failed: {response.status_code} {response.text}")

    streams = LiveStreams(port, f"/live/tickets/{page_number}", cookie)
    print(f"\nLive updates, {arguments.replies} agent replies per step:")
    print("| streams open | p50 | p99 | max | delivered | open failures |")
    print("|---|---|---|---|---|---|")
    try:
        for step in (int(value) for value in arguments.steps.split(",")):
            await streams.grow_to(step)
            delays, delivered = await measure_fan_out(streams, post_reply, arguments.replies)
            worst = max(delays) if delays else float("inf")
            print(
                f"| {len(streams.writers):,} | {statistics.median(delays) * 1000:.0f} ms "
                f"| {percentile(delays, 0.99) * 1000:.0f} ms | {worst * 1000:.0f} ms "
                f"| {delivered:.1%} | {streams.failed} |",
                flush=True,
            )
            if delivered < 1.0 or worst > LATENCY_BUDGET_SECONDS:
                print(f"Stopped: the step with {step:,} streams missed the one-second budget.")
                break
    finally:
        await streams.close()
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=60, help="tickets the customer opens")
    parser.add_argument("--requests", type=int, default=1000, help="GETs per latency row")
    parser.add_argument("--in-flight", type=int, default=8, help="concurrent GETs, second row")
    parser.add_argument("--replies", type=int, default=3, help="agent replies per live step")
    parser.add_argument(
        "--steps",
        default="100,500,1000,2000,4000,6000,8000",
        help="comma-separated numbers of open live-update streams, measured in turn",
    )
    arguments = parser.parse_args()
    # The in-process services log every request at info level; only problems matter here.
    configure_logging("bench", "warning", json=False)
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    logging.getLogger("faststream").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    with (
        tempfile.TemporaryDirectory() as folder,
        nats_server(Path(folder) / "nats") as nats_url,
        postgres_admin_url(Path(folder) / "postgres") as admin_url,
        fresh_database(admin_url) as database_url,
    ):
        blob_dir = Path(folder) / "blobs"
        asyncio.run(run(nats_url, database_url, blob_dir, arguments))


if __name__ == "__main__":
    main()
