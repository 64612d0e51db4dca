"""Inbound mail benchmark: JetStream durability cost and SMTP-to-ticket throughput.

Part 1 publishes the same messages to two nats-servers started side by side, one with
`sync_interval: always` (every acknowledged publish is on disk, the setting the help desk
uses on a single node) and one with the server's default, and reports both rates and
their ratio.

Part 2 runs every service in this process on real NATS and PostgreSQL, delivers
`--messages` new-thread messages over SMTP, and reports the SMTP accept latency (store,
parse, JetStream ack) and the time until every message is a ticket. It does so once per
level of `--smtp-clients`: that many SMTP connections send at the same time, each its
share of the messages one after another. `--separate-processes` runs each service as its
own `python -m <service> serve` process instead.

Run with `uv run python -m bench.inbound_throughput` from the repository root.
"""

import argparse
import asyncio
import itertools
import os
import smtplib
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import asyncpg
import httpx
import nats

from helpdesk_runtime.local_servers import LocalNats, free_port
from tests.end_to_end.stack import SUPPORT_ADDRESS, running_stack
from tests.support.infrastructure import fresh_database, nats_server, postgres_admin_url
from tests.support.servers import wait_until


async def publish_rate(url: str, count: int) -> float:
    """Publish `count` 1 KiB messages one at a time, each awaiting its ack; return per second."""
    connection = await nats.connect(url)
    js = connection.jetstream()
    await js.add_stream(name="BENCH", subjects=["bench.>"])
    payload = b"x" * 1024

    started = time.perf_counter()
    for index in range(count):
        await js.publish("bench.publish", payload, headers={"Nats-Msg-Id": str(index)})
    elapsed = time.perf_counter() - started

    await connection.close()
    return count / elapsed


async def compare_sync_settings(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        durable = LocalNats(Path(folder) / "always", sync_always=True)
        default = LocalNats(Path(folder) / "default", sync_always=False)
        durable.start()
        default.start()
        try:
            # Interleave the runs so both see the same background load.
            always_rates, default_rates = [], []
            for _ in range(3):
                always_rates.append(await publish_rate(durable.url, count))
                default_rates.append(await publish_rate(default.url, count))
                for server in (durable, default):
                    connection = await nats.connect(server.url)
                    await connection.jetstream().delete_stream("BENCH")
                    await connection.close()
        finally:
            durable.stop()
            default.stop()

    always = statistics.median(always_rates)
    fast = statistics.median(default_rates)
    print(f"JetStream publishes per second, {count} per run, median of 3 runs:")
    print(f"  sync_interval always: {always:8.0f}")
    print(f"  server default:       {fast:8.0f}")
    print(f"  ratio default/always: {fast / always:8.2f}")


def compose(number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Sender {number} <sender{number}@bench-customer.test>"
    message["To"] = SUPPORT_ADDRESS
    message["Subject"] = f"Benchmark request {number}"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@bench-customer.test>"
    message.set_content("The printer is on fire again.\n" * 20)
    return message.as_bytes()


def deliver_concurrently(smtp_port: int, messages: list[bytes], clients: int) -> list[float]:
    """Send `messages` over `clients` SMTP connections at once; return every latency."""
    shares = [messages[index::clients] for index in range(clients)]
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = pool.map(lambda share: deliver(smtp_port, share), shares)
        return list(itertools.chain.from_iterable(results))


def deliver(smtp_port: int, messages: list[bytes]) -> list[float]:
    latencies = []
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=60) as client:
        for raw in messages:
            started = time.perf_counter()
            client.sendmail("bench@bench-customer.test", [SUPPORT_ADDRESS], raw)
            latencies.append(time.perf_counter() - started)
    return latencies


async def pipeline(
    count: int, client_levels: list[int], nats_url: str, database_url: str, work_dir: Path
) -> None:
    async with running_stack(nats_url, database_url, work_dir / "stack") as stack:
        await measure_levels(count, client_levels, stack.smtp_port, database_url)


async def pipeline_in_processes(
    count: int, client_levels: list[int], nats_url: str, database_url: str, work_dir: Path
) -> None:
    """Run each service as its own `python -m <service> serve` process, then measure."""
    smtp_port = free_port()
    common = {
        **os.environ,
        "HELPDESK_NATS_URL": nats_url,
        "HELPDESK_DATABASE_URL": database_url,
        "HELPDESK_LOG_LEVEL": "warning",
        "HELPDESK_SUPPORT_ADDRESS": SUPPORT_ADDRESS,
    }
    services = {
        "customer_service": {"HELPDESK_SUPPORT_DOMAINS": "helpdesk.test"},
        "sla_service": {},
        "ticket_service": {"HELPDESK_MAIL_DOMAIN": "helpdesk.test"},
        "email_gateway": {
            "HELPDESK_SMTP_PORT": str(smtp_port),
            "HELPDESK_RELAY_PORT": str(free_port()),
            "HELPDESK_SUPPORT_ADDRESSES": SUPPORT_ADDRESS,
            "HELPDESK_BLOB_DIR": str(work_dir / "blobs"),
        },
    }
    processes = []
    try:
        for name, extra in services.items():
            port = free_port()
            environment = {**common, **extra, "HELPDESK_HTTP_PORT": str(port)}
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                name,
                "serve",
                env=environment,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            processes.append(process)
            # One at a time, so the migrations and stream declarations do not race.
            await wait_until(lambda port=port: ready(port), timeout=120)
        await measure_levels(count, client_levels, smtp_port, database_url)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.wait_for(process.wait(), timeout=30)


async def ready(port: int) -> bool:
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            return (await client.get("/ready")).status_code == 200
    except httpx.TransportError:
        return False


async def measure_levels(
    count: int, client_levels: list[int], smtp_port: int, database_url: str
) -> None:
    """Send `count` messages at each level of concurrent SMTP clients and report each."""
    connection = await asyncpg.connect(database_url)
    try:
        for level, clients in enumerate(client_levels):
            # New sender addresses per level, so the per-sender rate limit never applies.
            messages = [compose(level * count + n) for n in range(count)]
            before = await connection.fetchval("SELECT count(*) FROM tickets.tickets")
            started = time.perf_counter()
            latencies = await asyncio.to_thread(deliver_concurrently, smtp_port, messages, clients)
            accepted = time.perf_counter() - started

            async def all_ticketed(expected: int = before + count) -> bool:
                found = await connection.fetchval("SELECT count(*) FROM tickets.tickets")
                return bool(found >= expected)

            await wait_until(all_ticketed, timeout=600, interval=0.05)
            ticketed = time.perf_counter() - started
            report(count, clients, latencies, accepted, ticketed)
    finally:
        await connection.close()


def report(
    count: int, clients: int, latencies: list[float], accepted: float, ticketed: float
) -> None:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"SMTP to ticket, {count} messages over {clients} concurrent SMTP connection(s):")
    print(f"  SMTP accept latency p50: {statistics.median(ordered) * 1000:7.1f} ms")
    print(f"  SMTP accept latency p99: {p99 * 1000:7.1f} ms")
    print(f"  accepted per second:     {count / accepted:7.1f}")
    print(f"  tickets per second:      {count / ticketed:7.1f} (until the last ticket exists)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publishes", type=int, default=2000, help="publishes per run")
    parser.add_argument(
        "--messages", type=int, default=300, help="messages sent over SMTP per level"
    )
    parser.add_argument(
        "--smtp-clients",
        default="1,4,8",
        help="comma-separated levels: SMTP connections sending at the same time",
    )
    parser.add_argument(
        "--skip-publish-rates", action="store_true", help="skip part 1 (JetStream publishes)"
    )
    parser.add_argument(
        "--separate-processes",
        action="store_true",
        help="run each service as its own process instead of all in this one",
    )
    arguments = parser.parse_args()
    client_levels = [int(level) for level in arguments.smtp_clients.split(",")]

    if not arguments.skip_publish_rates:
        asyncio.run(compare_sync_settings(arguments.publishes))
    with (
        tempfile.TemporaryDirectory() as folder,
        nats_server(Path(folder) / "nats") as nats_url,
        postgres_admin_url(Path(folder) / "postgres") as admin_url,
        fresh_database(admin_url) as database_url,
    ):
        run = pipeline_in_processes if arguments.separate_processes else pipeline
        asyncio.run(run(arguments.messages, client_levels, nats_url, database_url, Path(folder)))


if __name__ == "__main__":
    main()
