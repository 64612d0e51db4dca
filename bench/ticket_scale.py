"""Ticket scale benchmark: queue views, ticket pages and search with a million tickets.

Creates a PostgreSQL database (a fresh one on the server in DATABASE_URL, default
127.0.0.1:5432 with trust auth, or the one named by `--database-url`), lets
ticket_service migrate it, and loads `--tickets` tickets with set-based SQL
(`INSERT ... SELECT` over `generate_series`):

- created times spread over two years. Tickets older than two weeks are mostly Closed,
  with a backlog of 3.5 % still open, and newer ones spread over every status;
- 1 to 5 interactions per ticket (3 on average): inbound mail, agent replies, internal
  notes, with text drawn from a support vocabulary with a skewed word frequency, so
  full-text search sees common and rare words;
- an indexed Message-ID per mail interaction and two audit entries per ticket;
- 20,000 customers (a few large ones own many tickets), 5 contacts each, 12 teams of 10
  agents, 40 tags, 15 categories, priorities and SLA due dates by priority.

Secondary indexes are dropped during the load and rebuilt afterwards from their saved
definitions, and foreign keys are not checked during the load
(`session_replication_role = replica`), because the generated rows are consistent by
construction. `VACUUM ANALYZE` follows.

Then ticket_service runs as its own process (`python -m ticket_service serve`) on a
private nats-server, and the benchmark sends `--requests` requests per scenario
(`--search-requests` per search) over HTTP with httpx, one at a time after a warm-up, and
prints p50 and p99. The agent API has no authentication yet, so the requests carry no
credentials. customer_service does not run: the ticket page's account-context request
gets "no responders" from NATS at once and the page shows `customer_context` null (see
`--with-customer-service`).

A database given with `--database-url` that already has tickets is measured without
loading, after ticket_service's migrations, so index changes can be compared on the
same data.

Run with `uv run python -m bench.ticket_scale` from the repository root; `--tickets
20000` gives a quick run.
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
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from bench.agent_key import bearer, bench_agent_key
from helpdesk_runtime.local_servers import free_port
from tests.support.infrastructure import fresh_database, nats_server, postgres_admin_url
from tests.support.servers import wait_until

OPEN_STATUSES = ("Open", "In Progress", "Pending", "Waiting on Customer")
TEAMS = (
    "technical",
    "billing",
    "onboarding",
    "accounts",
    "integrations",
    "mobile",
    "security",
    "data",
    "partners",
    "enterprise",
    "hardware",
    "returns",
)
AGENTS_PER_TEAM = 10
CUSTOMERS = 20_000
CONTACTS_PER_CUSTOMER = 5
TAGS = (
    "vip", "refund", "bug", "feature-request", "login", "password", "invoice", "outage",
    "api", "sso", "export", "import", "billing-error", "upgrade", "downgrade", "cancel",
    "mobile-app", "android", "ios", "browser", "performance", "data-loss", "gdpr",
    "security", "integration", "webhook", "slack", "email-delivery", "report", "dashboard",
    "permissions", "onboarding", "training", "contract", "renewal", "trial", "shipping",
    "hardware", "warranty", "escalated",
)  # fmt: skip
CATEGORIES = (
    "Account access", "Billing", "Bug report", "Feature request", "How-to question",
    "Integration", "Outage", "Data request", "Security", "Shipping", "Returns",
    "Onboarding", "Contract", "Performance", "Other",
)  # fmt: skip
VOCABULARY_TEXT = """
the a to and of i is it for you in my we on this that not with have can be our are
please when after but from your at as was will there error account login password
reset invoice payment charged twice refund order shipping delivery package tracking
printer scanner laptop server database backup export import report dashboard chart
sync calendar email notification mobile app android iphone browser chrome firefox
safari update upgrade version install crash freeze slow timeout connection network
vpn firewall certificate expired license subscription plan trial cancel renew
contract user permission admin role team workspace project file upload download
attachment pdf spreadsheet csv api token webhook integration slack salesforce sso
saml okta google microsoft outlook exchange smtp bounce spam address domain invoice
receipt tax vat currency discount coupon price quote purchase warranty return
replacement broken damaged missing wrong item size color stock urgent asap today
tomorrow yesterday morning week month customer client colleague manager support
ticket issue problem question request help thanks regards hello hi again still
working anymore suddenly since yesterday screen button page link menu setting
configuration option feature missing deleted restore recover lost data history
"""
VOCABULARY = VOCABULARY_TEXT.split()
RARE_WORDS = 3_000
SENTENCES = 20_000
SUBJECTS = 5_000


@dataclass(frozen=True)
class Scenario:
    """A named request; `path` returns the next URL path (with query) to request."""

    name: str
    path: Callable[[], Awaitable[str]]


def plain_url(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


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
    )


# -- loading -------------------------------------------------------------------------

# Word i of the vocabulary is picked with a probability falling with i (random()^2.5),
# so the first words are common and the generated rare words at the end are rare.
SENTENCES_SQL = """
CREATE TEMP TABLE bench_sentences AS
SELECT s AS i,
       (SELECT string_agg(($1::text[])[1 + floor(power(random(), 2.5) * $2)::int], ' ')
        FROM generate_series(1, 8 + s % 13)) AS text
FROM generate_series(0, $3 - 1) AS s
"""

SUBJECTS_SQL = """
CREATE TEMP TABLE bench_subjects AS
SELECT i, upper(left(words, 1)) || substr(words, 2) AS text
FROM (
    SELECT i, array_to_string((string_to_array(text, ' '))[1:4 + i % 5], ' ') AS words
    FROM bench_sentences
    WHERE i < $1
) AS picked
"""

TICKETS_SQL = """
INSERT INTO tickets.tickets (
    id, number, subject, status, priority, source, source_email, email_thread_id,
    customer_id, customer_name, customer_tier, contact_ids, primary_contact_id,
    enrichment_pending, assigned_to, assigned_team, tags, category, due_date,
    first_response_due, sla_ticket_version, first_response_at, resolved_at,
    sla_breach_at, created_at, updated_at, version)
SELECT
    md5('ticket' || g)::uuid, g, subj.text, status, priority, source,
    'person' || contact || '@customer' || customer || '.example',
    'first-' || g || '@customer' || customer || '.example',
    md5('customer' || customer)::uuid, 'Customer ' || customer,
    (ARRAY['Free', 'Standard', 'Premium', 'Enterprise'])[1 + customer % 4],
    ARRAY[md5('contact' || contact)::uuid], md5('contact' || contact)::uuid,
    false,
    CASE WHEN status IN ('Open', 'Pending') AND r_assign < 0.3 THEN ARRAY[]::text[]
         ELSE ARRAY['agent' || team || '-' || agent || '@helpdesk.bench'] END,
    ($2::text[])[1 + team],
    array_remove(ARRAY[
        CASE WHEN r_tag1 < 0.6 THEN ($3::text[])[1 + floor(power(r_tag1 / 0.6, 2) * 15)::int] END,
        CASE WHEN r_tag2 < 0.3 THEN ($3::text[])[16 + floor(r_tag2 / 0.3 * 15)::int] END,
        CASE WHEN r_tag3 < 0.1 THEN ($3::text[])[31 + floor(r_tag3 / 0.1 * 10)::int] END
    ], NULL),
    ($4::text[])[1 + floor(power(r_category, 1.5) * 15)::int],
    due, created + (due - created) / 4, 2,
    CASE WHEN status <> 'Open' THEN created + (due - created) * r_first / 3 END,
    resolved,
    CASE WHEN coalesce(resolved, now()) > due THEN due END,
    created,
    least(now(), coalesce(resolved, created + (due - created) * r_first)),
    4 + g % 5
FROM (
    SELECT g, created, priority, customer, contact, team, agent, r_assign, r_tag1, r_tag2,
           r_tag3, r_category, r_first, source, status,
           created + CASE priority WHEN 'Urgent' THEN interval '4 hours'
                                   WHEN 'High' THEN interval '1 day'
                                   WHEN 'Medium' THEN interval '3 days'
                                   ELSE interval '10 days' END AS due,
           CASE WHEN status IN ('Resolved', 'Closed')
                THEN created + interval '1 hour' + r_resolve * interval '6 days' END
               AS resolved
    FROM (
        SELECT g, created, priority, customer, contact, team, agent, r_assign, r_tag1,
               r_tag2, r_tag3, r_category, r_first, r_resolve, source,
               CASE WHEN age < interval '14 days' THEN
                        CASE WHEN r_status < 0.35 THEN 'Open'
                             WHEN r_status < 0.60 THEN 'In Progress'
                             WHEN r_status < 0.75 THEN 'Waiting on Customer'
                             WHEN r_status < 0.80 THEN 'Pending'
                             WHEN r_status < 0.95 THEN 'Resolved'
                             ELSE 'Closed' END
                    WHEN r_status < 0.01 THEN 'Open'
                    WHEN r_status < 0.02 THEN 'In Progress'
                    WHEN r_status < 0.03 THEN 'Waiting on Customer'
                    WHEN r_status < 0.035 THEN 'Pending'
                    ELSE 'Closed' END AS status
        FROM (
            SELECT g, now() - age AS created, age, r_status, r_assign, r_tag1, r_tag2,
                   r_tag3, r_category, r_first, r_resolve,
                   CASE WHEN r_priority < 0.2 THEN 'Low' WHEN r_priority < 0.7 THEN 'Medium'
                        WHEN r_priority < 0.92 THEN 'High' ELSE 'Urgent' END AS priority,
                   customer, customer * 5 + (g % 5) AS contact,
                   floor(power(r_team, 1.5) * 12)::int AS team,
                   (g / 7) % 10 AS agent,
                   CASE WHEN g % 10 = 0 THEN 'web' ELSE 'email' END AS source
            FROM (
                SELECT g, random() * interval '730 days' AS age, random() AS r_status,
                       random() AS r_priority, random() AS r_team, random() AS r_assign,
                       random() AS r_tag1, random() AS r_tag2, random() AS r_tag3,
                       random() AS r_category, random() AS r_first, random() AS r_resolve,
                       floor(power(random(), 3) * $5)::int AS customer
                FROM generate_series($6::bigint, $7::bigint) AS g
            ) AS draws
        ) AS picked
    ) AS with_status
) AS t
JOIN bench_subjects AS subj ON subj.i = (g * 7919) % $1
"""

# Interaction k of a ticket: 1 is the customer's first mail, even ones are agent
# replies, and odd ones after the first are customer mail. The third interaction of
# every third ticket is an internal note. The first mail names an order number
# ("ord<number>"), a word found in one ticket only.
INTERACTIONS_SQL = """
INSERT INTO tickets.interactions (
    id, ticket_id, type, author, customer_visible, text_body, created_at, message_id,
    email_from, email_to, email_cc, attachments)
SELECT
    md5('interaction' || t.number || '-' || k)::uuid, t.id, kind,
    CASE WHEN kind = 'EMAIL_INBOUND' THEN t.source_email
         ELSE coalesce(t.assigned_to[1], 'agent0-0@helpdesk.bench') END,
    kind <> 'INTERNAL_NOTE',
    s1.text || '. ' || s2.text || '. ' || s3.text || '.'
        || CASE WHEN k = 1 THEN ' Order ord' || t.number || '.' ELSE '' END,
    least(t.updated_at, t.created_at + (k - 1) * interval '3 hours'),
    CASE kind
        WHEN 'EMAIL_INBOUND' THEN 'mail-' || t.number || '-' || k || '@customer.example'
        WHEN 'EMAIL_OUTBOUND' THEN 'ticket.' || t.id || '.'
            || md5('interaction' || t.number || '-' || k)::uuid || '@helpdesk.bench'
    END,
    CASE WHEN kind = 'INTERNAL_NOTE' THEN NULL
         WHEN kind = 'EMAIL_INBOUND'
         THEN jsonb_build_object('address', t.source_email, 'name', 'Person')
         ELSE jsonb_build_object('address', 'support@helpdesk.bench', 'name', 'Support') END,
    CASE WHEN kind = 'INTERNAL_NOTE' THEN NULL
         WHEN kind = 'EMAIL_INBOUND'
         THEN jsonb_build_array(jsonb_build_object('address', 'support@helpdesk.bench',
                                                   'name', 'Support'))
         ELSE jsonb_build_array(jsonb_build_object('address', t.source_email,
                                                   'name', 'Person')) END,
    CASE WHEN kind = 'INTERNAL_NOTE' THEN NULL ELSE '[]'::jsonb END,
    CASE WHEN kind = 'INTERNAL_NOTE' THEN NULL ELSE '[]'::jsonb END
FROM tickets.tickets AS t
CROSS JOIN LATERAL generate_series(1, 1 + (t.number * 7919) % 5) AS k
CROSS JOIN LATERAL (
    SELECT CASE WHEN k % 2 = 0 THEN 'EMAIL_OUTBOUND'
                WHEN k = 3 AND t.number % 3 = 0 THEN 'INTERNAL_NOTE'
                ELSE 'EMAIL_INBOUND' END AS kind
) AS kinds
JOIN bench_sentences AS s1 ON s1.i = (t.number * 31 + k * 17) % $1
JOIN bench_sentences AS s2 ON s2.i = (t.number * 101 + k * 7) % $1
JOIN bench_sentences AS s3 ON s3.i = (t.number * 13 + k * 29) % $1
WHERE t.number BETWEEN $2 AND $3
"""

MESSAGE_IDS_SQL = """
INSERT INTO tickets.message_ids (message_id, ticket_id, interaction_id, direction, created_at)
SELECT message_id, ticket_id, id,
       CASE type WHEN 'EMAIL_INBOUND' THEN 'inbound' ELSE 'outbound' END, created_at
FROM tickets.interactions
WHERE message_id IS NOT NULL
"""

AUDIT_SQL = """
INSERT INTO tickets.audit_entries (id, ticket_id, actor, field, old_value, new_value, at)
SELECT md5('audit-assign' || number)::uuid, id, 'routing', 'assigned_team', 'null'::jsonb,
       to_jsonb(assigned_team), created_at
FROM tickets.tickets
UNION ALL
SELECT md5('audit-status' || number)::uuid, id, coalesce(assigned_to[1], 'system'),
       'status', '"Open"'::jsonb, to_jsonb(status), updated_at
FROM tickets.tickets
"""

LOAD_BATCH = 100_000


@contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)


async def secondary_indexes(connection: asyncpg.Connection) -> list[tuple[str, str]]:
    """Return the name and definition of each index that backs no constraint."""
    rows = await connection.fetch(
        """
        SELECT i.indexname, i.indexdef
        FROM pg_indexes AS i
        WHERE i.schemaname = 'tickets'
          AND i.tablename IN ('tickets', 'interactions', 'message_ids', 'audit_entries')
          AND NOT EXISTS (
              SELECT 1 FROM pg_constraint AS c
              WHERE c.conname = i.indexname AND c.connamespace = 'tickets'::regnamespace)
        """
    )
    return [(row["indexname"], row["indexdef"]) for row in rows]


async def load(database_url: str, count: int) -> float:
    """Load `count` tickets with their interactions, index rows and audit; return seconds."""
    connection = await asyncpg.connect(plain_url(database_url), command_timeout=None)
    started = time.perf_counter()
    try:
        await connection.execute("SET session_replication_role = replica")
        await connection.execute("SET maintenance_work_mem = '1GB'")
        await connection.execute("SELECT setseed(0.42)")
        rare = [f"zq{index:04d}" for index in range(RARE_WORDS)]
        vocabulary = [*VOCABULARY, *rare]
        with timed("vocabulary, sentences and subjects"):
            await connection.execute(SENTENCES_SQL, vocabulary, len(vocabulary), SENTENCES)
            await connection.execute(SUBJECTS_SQL, SUBJECTS)
        await connection.execute(
            "INSERT INTO tickets.categories (name, created_at) SELECT unnest($1::text[]), now()",
            list(CATEGORIES),
        )

        indexes = await secondary_indexes(connection)
        for name, _ in indexes:
            await connection.execute(f'DROP INDEX tickets."{name}"')

        with timed(f"{count:,} tickets"):
            for first in range(1, count + 1, LOAD_BATCH):
                last = min(count, first + LOAD_BATCH - 1)
                await connection.execute(
                    TICKETS_SQL, SUBJECTS, list(TEAMS), list(TAGS), list(CATEGORIES),
                    CUSTOMERS, first, last,
                )  # fmt: skip
        await connection.execute("SELECT setval('tickets.ticket_number_seq', $1)", count)
        with timed("interactions"):
            for first in range(1, count + 1, LOAD_BATCH):
                last = min(count, first + LOAD_BATCH - 1)
                await connection.execute(INTERACTIONS_SQL, SENTENCES, first, last)
        with timed("message-id index rows"):
            await connection.execute(MESSAGE_IDS_SQL)
        with timed("audit entries"):
            await connection.execute(AUDIT_SQL)
        with timed(f"{len(indexes)} secondary indexes rebuilt"):
            for _, definition in indexes:
                await connection.execute(definition)
        with timed("VACUUM ANALYZE"):
            for table in ("tickets", "interactions", "message_ids", "audit_entries"):
                await connection.execute(f"VACUUM ANALYZE tickets.{table}")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def table_sizes(database_url: str) -> list[tuple[str, int, str]]:
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        rows = await connection.fetch(
            """
            SELECT c.relname, c.reltuples::bigint AS estimated_rows,
                   pg_size_pretty(pg_total_relation_size(c.oid)) AS size
            FROM pg_class AS c
            WHERE c.relnamespace = 'tickets'::regnamespace AND c.relkind = 'r'
              AND c.relname IN ('tickets', 'interactions', 'message_ids', 'audit_entries')
            ORDER BY c.relname
            """
        )
    finally:
        await connection.close()
    return [(row["relname"], row["estimated_rows"], row["size"]) for row in rows]


# -- measuring -----------------------------------------------------------------------


@dataclass
class Samples:
    """Values drawn from the loaded data, for the request parameters."""

    ticket_ids: list[str]
    numbers: list[int]
    customer_ids: list[str]
    breached_teams: list[str]


async def draw_samples(database_url: str, count: int) -> Samples:
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        tickets = await connection.fetch(
            "SELECT id, number FROM tickets.tickets TABLESAMPLE SYSTEM (5) LIMIT $1", count
        )
        customers = await connection.fetch(
            "SELECT DISTINCT customer_id FROM tickets.tickets TABLESAMPLE SYSTEM (5) "
            "WHERE customer_id IS NOT NULL LIMIT $1",
            count,
        )
    finally:
        await connection.close()
    return Samples(
        ticket_ids=[str(row["id"]) for row in tickets],
        numbers=[row["number"] for row in tickets],
        customer_ids=[str(row["customer_id"]) for row in customers],
        breached_teams=list(TEAMS),
    )


def open_filter() -> list[tuple[str, str]]:
    return [("status", status) for status in OPEN_STATUSES]


def query_path(parameters: list[tuple[str, str]]) -> str:
    return "/tickets/?" + str(httpx.QueryParams(parameters))


def scenarios(client: httpx.AsyncClient, samples: Samples, rng: random.Random) -> list[Scenario]:
    """Return the measured requests, each choosing its parameters at random per call."""

    async def team_queue() -> str:
        team = rng.choice(TEAMS)
        return query_path([("team", team), *open_filter(), ("sort", "due_date"), ("order", "asc")])

    async def agent_queue() -> str:
        team = rng.randrange(len(TEAMS))
        agent = f"agent{team}-{rng.randrange(AGENTS_PER_TEAM)}@helpdesk.bench"
        return query_path(
            [("assignee", agent), *open_filter(), ("sort", "due_date"), ("order", "asc")]
        )

    async def unassigned_queue() -> str:
        return query_path(
            [("unassigned", "true"), *open_filter(), ("sort", "created"), ("order", "asc")]
        )

    async def by_tag() -> str:
        return query_path([("tag", rng.choice(TAGS)), ("sort", "created"), ("order", "desc")])

    async def open_by_tag() -> str:
        return query_path(
            [("tag", rng.choice(TAGS)), *open_filter(), ("sort", "due_date"), ("order", "asc")]
        )

    async def by_customer() -> str:
        customer = rng.choice(samples.customer_ids)
        return query_path([("customer_id", customer), ("sort", "updated"), ("order", "desc")])

    async def sla_breached() -> str:
        return query_path(
            [("sla_breached", "true"), *open_filter(), ("sort", "due_date"), ("order", "asc")]
        )

    async def next_page() -> str:
        # The first page is requested here, untimed; the second page is the measured request.
        first_path = await team_queue()
        first = await client.get(first_path)
        first.raise_for_status()
        cursor = first.json()["next_cursor"]
        if cursor is None:
            return first_path
        return f"{first_path}&cursor={cursor}"

    async def ticket_page() -> str:
        return f"/tickets/{rng.choice(samples.ticket_ids)}"

    async def ticket_page_by_number() -> str:
        return f"/tickets/by-number/{rng.choice(samples.numbers)}"

    async def order_number() -> str:
        return query_path([("q", f"ord{rng.choice(samples.numbers)}"), ("limit", "50")])

    def search(words: list[str]) -> Callable[[], Awaitable[str]]:
        async def path() -> str:
            return query_path([("q", rng.choice(words)), ("limit", "50")])

        return path

    return [
        Scenario("team queue: open, due date ascending", team_queue),
        Scenario("agent queue: open, assigned to one agent", agent_queue),
        Scenario("unassigned: open, oldest first", unassigned_queue),
        Scenario("tag: all statuses, newest first", by_tag),
        Scenario("tag: open, due date ascending", open_by_tag),
        Scenario("customer: all statuses, updated desc", by_customer),
        Scenario("SLA breached: open, due date ascending", sla_breached),
        Scenario("team queue: second page (keyset cursor)", next_page),
        Scenario("ticket page by id", ticket_page),
        Scenario("ticket page by number", ticket_page_by_number),
        Scenario("search: common word", search(["printer", "invoice", "password", "login"])),
        Scenario("search: rare word", search([f"zq{n:04d}" for n in range(2000, 2100)])),
        Scenario("search: order number (one ticket)", order_number),
        Scenario("search: two words", search(["refund invoice", "printer offline", "sso okta"])),
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(client: httpx.AsyncClient, scenario: Scenario, count: int) -> list[float]:
    """Request `count` paths of `scenario` one after another; return the latencies."""
    latencies = []
    for _ in range(count):
        path = await scenario.path()
        started = time.perf_counter()
        response = await client.get(path)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(
                f"{scenario.name}: GET {path} returned {response.status_code}: "
                f"{response.text[:500]}"
            )
    return latencies


async def service_ready(base_url: str) -> bool:
    try:
        async with httpx.AsyncClient(base_url=base_url) as client:
            return (await client.get("/ready")).status_code == 200
    except httpx.TransportError:
        return False


async def run_scenarios(base_url: str, database_url: str, arguments: argparse.Namespace) -> None:
    await wait_until(lambda: service_ready(base_url), timeout=120)
    samples = await draw_samples(database_url, 2_000)
    rng = random.Random(11)

    headers = bearer(await asyncio.to_thread(bench_agent_key, database_url))
    async with httpx.AsyncClient(base_url=base_url, timeout=60, headers=headers) as client:
        measured = [
            scenario
            for scenario in scenarios(client, samples, rng)
            if arguments.only is None or arguments.only in scenario.name
        ]
        print(
            f"\n{arguments.requests} requests per scenario ({arguments.search_requests} per "
            "search), one at a time:"
        )
        print("| request | p50 | p99 | max | load average (1 min) |")
        print("|---|---|---|---|---|")
        for scenario in measured:
            # The warm-up fills the connection pool, the prepared statement cache and
            # the buffers of the indexes this request uses.
            count = (
                arguments.search_requests
                if scenario.name.startswith("search")
                else arguments.requests
            )
            await measure(client, scenario, arguments.warm_up)
            latencies = await measure(client, scenario, count)
            p50 = statistics.median(latencies) * 1000
            p99 = percentile(latencies, 0.99) * 1000
            slowest = max(latencies) * 1000
            # Other processes on the machine move the tail, so the load is part of the result.
            load = os.getloadavg()[0]
            print(
                f"| {scenario.name} | {p50:.1f} ms | {p99:.1f} ms | {slowest:.1f} ms "
                f"| {load:.1f} |",
                flush=True,
            )


@contextmanager
def database(arguments: argparse.Namespace, folder: Path) -> Iterator[str]:
    if arguments.database_url:
        yield arguments.database_url
        return
    with postgres_admin_url(folder / "postgres") as admin_url, fresh_database(admin_url) as url:
        yield url


async def has_tickets(database_url: str) -> bool:
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        return bool(await connection.fetchval("SELECT EXISTS (SELECT FROM tickets.tickets)"))
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets to load")
    parser.add_argument("--requests", type=int, default=300, help="requests per scenario")
    parser.add_argument(
        "--search-requests", type=int, default=100, help="requests per search scenario"
    )
    parser.add_argument("--warm-up", type=int, default=30, help="warm-up requests per scenario")
    parser.add_argument("--only", help="measure only the scenarios whose name contains this text")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HELPDESK_BENCH_DATABASE_URL"),
        help="use this existing database (created beforehand) instead of a fresh one, "
        "and keep it; default: $HELPDESK_BENCH_DATABASE_URL, else a fresh database that "
        "is dropped at the end",
    )
    parser.add_argument(
        "--with-customer-service",
        action="store_true",
        help="also run customer_service (migrated, with no customers), so the ticket page "
        "waits for its reply to the account-context request",
    )
    arguments = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as folder,
        nats_server(Path(folder) / "nats") as nats_url,
        database(arguments, Path(folder)) as database_url,
    ):
        port = free_port()
        environment = service_environment(nats_url, database_url, port)
        with timed("ticket_service migrations"):
            migrate("ticket_service", environment)
        if asyncio.run(has_tickets(database_url)):
            print("The database already has tickets; measuring without loading.")
        else:
            print(f"Loading {arguments.tickets:,} tickets:")
            seconds = asyncio.run(load(database_url, arguments.tickets))
            print(f"Loaded in {seconds:.1f} s")
        for name, rows, size in asyncio.run(table_sizes(database_url)):
            print(f"  {name}: about {rows:,} rows, {size} with indexes")

        services = [
            subprocess.Popen(
                [sys.executable, "-m", "ticket_service", "serve"],
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        ]
        if arguments.with_customer_service:
            customer_environment = {**environment, "HELPDESK_HTTP_PORT": str(free_port())}
            migrate("customer_service", customer_environment)
            services.append(
                subprocess.Popen(
                    [sys.executable, "-m", "customer_service", "serve"],
                    env=customer_environment,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        try:
            asyncio.run(run_scenarios(f"http://127.0.0.1:{port}", database_url, arguments))
        finally:
            for service in services:
                service.terminate()
                service.wait(timeout=30)


if __name__ == "__main__":
    main()
