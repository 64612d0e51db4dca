"""Portal request benchmark: latency of the scoped ticket list and ticket page over NATS.

Creates a fresh database, migrates customer_service and ticket_service, and loads with
COPY `--customers` customers with one contact each, plus one large customer whose two
contacts are a member (on `--large-customer-tickets` tickets) and a lead with
`sees_all_customer_tickets`. `--tickets` tickets in all, each with one visible
`PORTAL_MESSAGE` and one `INTERNAL_NOTE`, are spread over the contacts. Both services
then run as separate processes (`python -m <service> serve`), and `--requests` portal
requests per scenario are sent at each load level of `--in-flight`. Every request
includes the `customer.rpc.contact_scope` round trip that ticket_service makes.

The database is dropped at the end. Run with `uv run python -m bench.portal_requests`
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import msgspec
import nats
from nats.aio.client import Client as NatsClient

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import (
    ErrorReply,
    Message,
    PortalTicketListReply,
    PortalTicketListRequest,
    PortalTicketReply,
    PortalTicketRequest,
    PortalViewer,
)
from helpdesk_runtime.local_servers import free_port
from tests.support.infrastructure import fresh_database, nats_server, postgres_admin_url
from tests.support.servers import wait_until

COPY_CHUNK = 50_000
SERVICES = ("customer_service", "ticket_service")
SEARCH_WORD = "printer"


@dataclass(frozen=True)
class Loaded:
    """The ids the scenarios draw from."""

    small_contacts: list[uuid.UUID]
    member: uuid.UUID
    lead: uuid.UUID
    tickets_by_contact: dict[uuid.UUID, list[int]]


def service_environment(nats_url: str, database_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "HELPDESK_NATS_URL": nats_url,
        "HELPDESK_DATABASE_URL": database_url,
        "HELPDESK_HTTP_PORT": str(port),
        "HELPDESK_LOG_JSON": "true",
        "HELPDESK_LOG_LEVEL": "warning",
    }


def migrate(service: str, environment: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", service, "migrate"],
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def chunks(count: int) -> Iterator[range]:
    for start in range(0, count, COPY_CHUNK):
        yield range(start, min(count, start + COPY_CHUNK))


async def load_customers(
    connection: asyncpg.Connection, customers: int
) -> tuple[list[uuid.UUID], list[uuid.UUID], uuid.UUID, uuid.UUID]:
    """COPY the customers and contacts; return customer ids, small contacts, member, lead."""
    customer_ids = [uuid.uuid4() for _ in range(customers + 1)]
    contact_ids = [uuid.uuid4() for _ in range(customers + 2)]
    large_customer = customer_ids[-1]
    await connection.copy_records_to_table(
        "customers",
        schema_name="customers",
        columns=["id", "name", "tier"],
        records=[(cid, f"Customer {i}", "Standard") for i, cid in enumerate(customer_ids)],
    )
    contacts = [(contact_ids[i], f"Person {i}", customer_ids[i], False) for i in range(customers)]
    contacts.append((contact_ids[-2], "Member", large_customer, False))
    contacts.append((contact_ids[-1], "Lead", large_customer, True))
    await connection.copy_records_to_table(
        "contacts",
        schema_name="customers",
        columns=["id", "name", "customer_id", "sees_all_customer_tickets"],
        records=contacts,
    )
    await connection.copy_records_to_table(
        "contact_emails",
        schema_name="customers",
        columns=["address", "contact_id"],
        records=[(f"p{i}@bench.test", row[0]) for i, row in enumerate(contacts)],
    )
    return customer_ids, contact_ids[:customers], contact_ids[-2], contact_ids[-1]


async def load_tickets(
    connection: asyncpg.Connection,
    customer_ids: list[uuid.UUID],
    small_contacts: list[uuid.UUID],
    member: uuid.UUID,
    tickets: int,
    large_customer_tickets: int,
) -> dict[uuid.UUID, list[int]]:
    """COPY the tickets and their interactions; return ticket numbers by contact."""
    rng = random.Random(11)
    now = datetime.now(UTC)
    numbers: dict[uuid.UUID, list[int]] = {}
    small_count = tickets - large_customer_tickets
    for part in chunks(tickets):
        ticket_rows = []
        interaction_rows = []
        for index in part:
            if index < small_count:
                slot = index % len(small_contacts)
                contact, customer = small_contacts[slot], customer_ids[slot]
            else:
                contact, customer = member, customer_ids[-1]
            ticket_id = uuid.uuid4()
            number = index + 1
            updated = now - timedelta(minutes=rng.randrange(525_600))
            word = SEARCH_WORD if index % 10 == 0 else "laptop"
            ticket_rows.append(
                (
                    ticket_id,
                    number,
                    f"Request {number}",
                    "Open",
                    "Medium",
                    "portal",
                    [contact],
                    contact,
                    customer,
                    False,
                    [],
                    [],
                    updated,
                    updated,
                    2,
                )
            )
            interaction_rows.append(
                (
                    uuid.uuid4(),
                    ticket_id,
                    "PORTAL_MESSAGE",
                    "p@bench.test",
                    True,
                    f"My {word} does not work.",
                    updated,
                )
            )
            interaction_rows.append(
                (
                    uuid.uuid4(),
                    ticket_id,
                    "INTERNAL_NOTE",
                    "agent",
                    False,
                    "Checked the logs.",
                    updated,
                )
            )
            numbers.setdefault(contact, []).append(number)
        await connection.copy_records_to_table(
            "tickets",
            schema_name="tickets",
            columns=[
                "id",
                "number",
                "subject",
                "status",
                "priority",
                "source",
                "contact_ids",
                "primary_contact_id",
                "customer_id",
                "enrichment_pending",
                "assigned_to",
                "tags",
                "created_at",
                "updated_at",
                "version",
            ],
            records=ticket_rows,
        )
        await connection.copy_records_to_table(
            "interactions",
            schema_name="tickets",
            columns=[
                "id",
                "ticket_id",
                "type",
                "author",
                "customer_visible",
                "text_body",
                "created_at",
            ],
            records=interaction_rows,
        )
    return numbers


async def load(database_url: str, arguments: argparse.Namespace) -> tuple[Loaded, float]:
    connection = await asyncpg.connect(database_url)
    started = time.perf_counter()
    try:
        customer_ids, small, member, lead = await load_customers(connection, arguments.customers)
        numbers = await load_tickets(
            connection,
            customer_ids,
            small,
            member,
            arguments.tickets,
            arguments.large_customer_tickets,
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return Loaded(small, member, lead, numbers), time.perf_counter() - started


async def measure(
    connection: NatsClient,
    subject: str,
    requests: list[Message],
    reply_type: type[msgspec.Struct],
    concurrency: int,
) -> tuple[list[float], float, int]:
    """Send the requests, `concurrency` at a time; return latencies, rate and error replies."""
    queue: asyncio.Queue[Message] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while not queue.empty():
            request = queue.get_nowait()
            sent = time.perf_counter()
            response = await connection.request(subject, msgspec.json.encode(request), timeout=10)
            latencies.append(time.perf_counter() - sent)
            try:
                msgspec.json.decode(response.data, type=reply_type)
            except msgspec.ValidationError:
                msgspec.json.decode(response.data, type=ErrorReply)
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, len(requests) / (time.perf_counter() - started), errors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def ready(base_url: str) -> bool:
    try:
        async with httpx.AsyncClient(base_url=base_url) as client:
            return (await client.get("/ready")).status_code == 200
    except httpx.TransportError:
        return False


Scenario = tuple[str, str, Callable[[], Message], type[msgspec.Struct]]


def scenarios(loaded: Loaded, rng: random.Random) -> list[Scenario]:
    def viewer(contact: uuid.UUID) -> PortalViewer:
        return PortalViewer(contact_id=contact)

    def own_list() -> Message:
        return PortalTicketListRequest(viewer=viewer(rng.choice(loaded.small_contacts)))

    def own_search() -> Message:
        contact = rng.choice(loaded.small_contacts)
        return PortalTicketListRequest(viewer=viewer(contact), search=SEARCH_WORD)

    def customer_list() -> Message:
        return PortalTicketListRequest(viewer=viewer(loaded.lead))

    def customer_search() -> Message:
        return PortalTicketListRequest(viewer=viewer(loaded.lead), search=SEARCH_WORD)

    def own_show() -> Message:
        contact = rng.choice(loaded.small_contacts)
        number = rng.choice(loaded.tickets_by_contact[contact])
        return PortalTicketRequest(viewer=viewer(contact), number=number)

    def foreign_show() -> Message:
        number = rng.choice(loaded.tickets_by_contact[loaded.member])
        return PortalTicketRequest(viewer=viewer(rng.choice(loaded.small_contacts)), number=number)

    return [
        ("list, own tickets", subjects.TICKET_PORTAL_LIST, own_list, PortalTicketListReply),
        ("list, own, search", subjects.TICKET_PORTAL_LIST, own_search, PortalTicketListReply),
        (
            "list, whole large customer",
            subjects.TICKET_PORTAL_LIST,
            customer_list,
            PortalTicketListReply,
        ),
        (
            "list, large customer, search",
            subjects.TICKET_PORTAL_LIST,
            customer_search,
            PortalTicketListReply,
        ),
        ("show, own ticket", subjects.TICKET_PORTAL_SHOW, own_show, PortalTicketReply),
        ("show, another customer's", subjects.TICKET_PORTAL_SHOW, foreign_show, PortalTicketReply),
    ]


async def run_scenarios(nats_url: str, loaded: Loaded, arguments: argparse.Namespace) -> None:
    rng = random.Random(7)
    levels = [int(level) for level in arguments.in_flight.split(",")]
    connection = await nats.connect(nats_url)
    try:
        # A short warm-up fills the connection pools and the caches of the hot indexes.
        for _, subject, build, reply_type in scenarios(loaded, rng):
            warm_up = [build() for _ in range(100)]
            await measure(connection, subject, warm_up, reply_type, max(levels))

        print(f"\n{arguments.requests} requests per scenario and level:")
        print("| scenario | in flight | p50 | p99 | requests/s | error replies |")
        print("|---|---|---|---|---|---|")
        for level in levels:
            for name, subject, build, reply_type in scenarios(loaded, rng):
                requests = [build() for _ in range(arguments.requests)]
                latencies, rate, errors = await measure(
                    connection, subject, requests, reply_type, level
                )
                p50 = statistics.median(latencies) * 1000
                p99 = percentile(latencies, 0.99) * 1000
                print(
                    f"| {name} | {level} | {p50:.1f} ms | {p99:.1f} ms | {rate:,.0f} | {errors} |",
                    flush=True,
                )
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000, help="small customers")
    parser.add_argument("--tickets", type=int, default=500_000, help="tickets in all")
    parser.add_argument(
        "--large-customer-tickets",
        type=int,
        default=20_000,
        help="tickets of the large customer's member contact",
    )
    parser.add_argument("--requests", type=int, default=2_000, help="requests per scenario")
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
        ports = {service: free_port() for service in SERVICES}
        environments = {
            service: service_environment(nats_url, database_url, port)
            for service, port in ports.items()
        }
        for service, environment in environments.items():
            migrate(service, environment)
        loaded, seconds = asyncio.run(load(database_url, arguments))
        print(
            f"Loaded {arguments.customers + 1:,} customers and {arguments.tickets:,} tickets "
            f"({arguments.large_customer_tickets:,} of the large customer) with COPY in "
            f"{seconds:.1f} s"
        )

        processes = [
            subprocess.Popen(
                [sys.executable, "-m", service, "serve"],
                env=environments[service],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for service in SERVICES
        ]
        try:
            for port in ports.values():
                base_url = f"http://127.0.0.1:{port}"
                asyncio.run(wait_until(lambda url=base_url: ready(url), timeout=60))
            asyncio.run(run_scenarios(nats_url, loaded, arguments))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()
