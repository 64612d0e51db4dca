"""Resolve-contact benchmark: latency and throughput of `customer.rpc.resolve_contact`.

Creates a fresh database, migrates it, loads `--customers` customers (one domain each)
and `--contacts` contacts (one address each, spread over the customers) with COPY, then
starts customer_service as a separate process (`python -m customer_service serve`) and
sends `--requests` requests per scenario over NATS request/reply at each load level of
`--in-flight` (default 1 and 16 requests in flight):

- address hits: addresses of loaded contacts;
- domain hits: new addresses at loaded customers' domains (each creates a contact);
- new senders: addresses at unknown domains (each creates a contact with no customer).

The database is dropped at the end. Run with `uv run python -m bench.resolve_contact`
from the repository root.
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import msgspec
import nats

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import ResolveContactReply, ResolveContactRequest
from helpdesk_runtime.local_servers import free_port
from tests.support.infrastructure import fresh_database, nats_server, postgres_admin_url
from tests.support.servers import wait_until

COPY_CHUNK = 100_000


def customer_domain(index: int) -> str:
    return f"c{index}.bench.test"


def service_environment(nats_url: str, database_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "HELPDESK_NATS_URL": nats_url,
        "HELPDESK_DATABASE_URL": database_url,
        "HELPDESK_HTTP_PORT": str(port),
        "HELPDESK_LOG_JSON": "true",
    }


def migrate(environment: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "customer_service", "migrate"],
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def chunks(count: int) -> Iterator[range]:
    for start in range(0, count, COPY_CHUNK):
        yield range(start, min(count, start + COPY_CHUNK))


async def load(database_url: str, customers: int, contacts: int) -> float:
    """COPY the customers, domains, contacts and addresses; return the seconds taken."""
    connection = await asyncpg.connect(database_url)
    started = time.perf_counter()
    tiers = ("Free", "Standard", "Premium", "Enterprise")
    customer_ids = [uuid.uuid4() for _ in range(customers)]
    try:
        await connection.copy_records_to_table(
            "customers",
            schema_name="customers",
            columns=["id", "name", "tier"],
            records=[(cid, f"Customer {i}", tiers[i % 4]) for i, cid in enumerate(customer_ids)],
        )
        await connection.copy_records_to_table(
            "customer_domains",
            schema_name="customers",
            columns=["domain", "customer_id"],
            records=[(customer_domain(i), cid) for i, cid in enumerate(customer_ids)],
        )
        for part in chunks(contacts):
            contact_ids = [uuid.uuid4() for _ in part]
            await connection.copy_records_to_table(
                "contacts",
                schema_name="customers",
                columns=["id", "name", "customer_id"],
                records=[
                    (contact_id, f"Person {i}", customer_ids[i % customers])
                    for i, contact_id in zip(part, contact_ids, strict=True)
                ],
            )
            await connection.copy_records_to_table(
                "contact_emails",
                schema_name="customers",
                columns=["address", "contact_id"],
                records=[
                    (f"p{i}@{customer_domain(i % customers)}", contact_id)
                    for i, contact_id in zip(part, contact_ids, strict=True)
                ],
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def measure(
    nats_url: str, addresses: list[str], concurrency: int
) -> tuple[list[float], float, int]:
    """Send one request per address, `concurrency` at a time; return latencies, rate, errors."""
    connection = await nats.connect(nats_url)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for address in addresses:
        queue.put_nowait(address)
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while not queue.empty():
            request = ResolveContactRequest(address=queue.get_nowait())
            sent = time.perf_counter()
            response = await connection.request(
                subjects.CUSTOMER_RESOLVE_CONTACT, msgspec.json.encode(request), timeout=10
            )
            latencies.append(time.perf_counter() - sent)
            try:
                msgspec.json.decode(response.data, type=ResolveContactReply)
            except msgspec.ValidationError:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await connection.close()
    return latencies, len(addresses) / elapsed, errors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def service_ready(base_url: str) -> bool:
    try:
        async with httpx.AsyncClient(base_url=base_url) as client:
            return (await client.get("/ready")).status_code == 200
    except httpx.TransportError:
        return False


def scenario_addresses(
    arguments: argparse.Namespace, rng: random.Random, run: str
) -> dict[str, list[str]]:
    """Return the addresses of each scenario; `run` keeps new addresses unique per level."""
    count = arguments.requests
    return {
        "address hits": [
            f"p{i}@{customer_domain(i % arguments.customers)}"
            for i in rng.sample(range(arguments.contacts), count)
        ],
        "domain hits": [
            f"new{run}-{n}@{customer_domain(rng.randrange(arguments.customers))}"
            for n in range(count)
        ],
        "new senders": [f"someone@new{run}-{n}.example" for n in range(count)],
    }


async def run_scenarios(nats_url: str, base_url: str, arguments: argparse.Namespace) -> None:
    await wait_until(lambda: service_ready(base_url), timeout=60)
    rng = random.Random(7)
    levels = [int(level) for level in arguments.in_flight.split(",")]

    # A short warm-up fills the connection pool and the caches of the hot indexes.
    warm_up = scenario_addresses(arguments, rng, uuid.uuid4().hex[:6])["address hits"][:200]
    await measure(nats_url, warm_up, max(levels))

    print(f"\n{arguments.requests} requests per scenario and level:")
    print("| scenario | in flight | p50 | p99 | requests/s | error replies |")
    print("|---|---|---|---|---|---|")
    for level in levels:
        # Fresh addresses per level: a domain hit or new sender creates its contact once.
        scenarios = scenario_addresses(arguments, rng, uuid.uuid4().hex[:6])
        for name, addresses in scenarios.items():
            latencies, rate, errors = await measure(nats_url, addresses, level)
            p50 = statistics.median(latencies) * 1000
            p99 = percentile(latencies, 0.99) * 1000
            print(
                f"| {name} | {level} | {p50:.1f} ms | {p99:.1f} ms | {rate:,.0f} | {errors} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000, help="customers to load")
    parser.add_argument("--contacts", type=int, default=1_000_000, help="contacts to load")
    parser.add_argument("--requests", type=int, default=5_000, help="requests per scenario")
    parser.add_argument(
        "--in-flight",
        default="1,16",
        help="comma-separated load levels: requests in flight, each level measured in turn",
    )
    arguments = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as folder,
        nats_server(Path(folder) / "nats") as nats_url,
        postgres_admin_url(Path(folder) / "postgres") as admin_url,
        fresh_database(admin_url) as database_url,
    ):
        port = free_port()
        environment = service_environment(nats_url, database_url, port)
        migrate(environment)
        seconds = asyncio.run(load(database_url, arguments.customers, arguments.contacts))
        print(
            f"Loaded {arguments.customers:,} customers and {arguments.contacts:,} contacts "
            f"with COPY in {seconds:.1f} s"
        )

        service = subprocess.Popen(
            [sys.executable, "-m", "customer_service", "serve"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            asyncio.run(run_scenarios(nats_url, f"http://127.0.0.1:{port}", arguments))
        finally:
            service.terminate()
            service.wait(timeout=30)


if __name__ == "__main__":
    main()
