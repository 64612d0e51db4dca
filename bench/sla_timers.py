"""SLA breach timer benchmark: scheduler cost per pass and breach publication lag.

Part 1 loads `--running` pending timers due in the future into a fresh database with
COPY and adds `--due` timers that are due now. It then times one scheduler pass firing
them (claim with SKIP LOCKED, mark fired, write the outbox rows) and the read of the
next due time. It does this at 10,000 and at 1,000,000 running timers with the same number due,
so the two costs can be compared.

Part 2 starts sla_service's runtime (scheduler and outbox relay) on real NATS and
PostgreSQL with one million timers pending, adds timers coming due continuously, and
measures the lag from each due time to the arrival of its `SlaBreached` on JetStream.

Run with `uv run python -m bench.sla_timers` from the repository root.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import msgspec
import nats

from helpdesk_contracts import subjects
from helpdesk_contracts.messages import SlaBreached
from helpdesk_runtime.database import create_engine, create_session_factory
from helpdesk_runtime.logging import configure_logging
from helpdesk_runtime.migrations import upgrade_to_head
from helpdesk_runtime.settings import load_settings
from sla_service.app import build_runtime
from sla_service.clock import SystemClock
from sla_service.models import SCHEMA
from sla_service.scheduler import next_due_at, run_pass
from sla_service.settings import SlaSettings
from tests.support.infrastructure import fresh_database, nats_server, postgres_admin_url
from tests.support.servers import wait_until

TIMER_COLUMNS = ("ticket_id", "target", "fraction", "due_at", "target_due_at", "state")


def plain_url(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def migrate(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine, "sla_service", SCHEMA)
    finally:
        await engine.dispose()


async def copy_timers(
    database_url: str, count: int, first_due: datetime, spacing: timedelta
) -> None:
    """COPY `count` pending breach timers due from `first_due`, `spacing` apart."""
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        records = (
            (uuid.uuid4(), "resolution", 1.0, due, due, "pending")
            for due in (first_due + spacing * i for i in range(count))
        )
        await connection.copy_records_to_table(
            "sla_timers", schema_name=SCHEMA, records=records, columns=TIMER_COLUMNS
        )
        await connection.execute("ANALYZE sla.sla_timers")
    finally:
        await connection.close()


async def reset_timers(database_url: str) -> None:
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        await connection.execute("TRUNCATE sla.sla_timers, sla.outbox")
    finally:
        await connection.close()


async def pass_cost(database_url: str, running: int, due: int, repeats: int) -> tuple[float, float]:
    """Return the median seconds of a pass firing `due` timers and of the next-due read."""
    await reset_timers(database_url)
    far_future = datetime.now(UTC) + timedelta(days=30)
    await copy_timers(database_url, running, far_future, timedelta(seconds=1))
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    pass_seconds: list[float] = []
    read_seconds: list[float] = []
    try:
        for _ in range(repeats):
            await copy_timers(
                database_url, due, datetime.now(UTC) - timedelta(minutes=1), timedelta()
            )
            started = time.perf_counter()
            fired = await run_pass(sessions, SystemClock(), batch_size=due)
            pass_seconds.append(time.perf_counter() - started)
            assert fired == due, f"fired {fired} of {due}"

            started = time.perf_counter()
            async with sessions() as session:
                await next_due_at(session)
            read_seconds.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    return statistics.median(pass_seconds), statistics.median(read_seconds)


async def compare_pass_costs(database_url: str, due: int, repeats: int) -> None:
    await migrate(database_url)
    print(f"scheduler pass firing {due} due timers, median of {repeats}:")
    for running in (10_000, 1_000_000):
        pass_seconds, read_seconds = await pass_cost(database_url, running, due, repeats)
        print(
            f"  running={running:>9,}  pass={pass_seconds * 1000:7.1f} ms  "
            f"next-due read={read_seconds * 1000:5.2f} ms"
        )


async def measure_lag(
    nats_url: str, database_url: str, running: int, coming_due: int, rate: float
) -> None:
    await reset_timers(database_url)
    await copy_timers(
        database_url, running, datetime.now(UTC) + timedelta(days=30), timedelta(seconds=1)
    )
    settings = load_settings(
        SlaSettings, environ={}, nats_url=nats_url, database_url=database_url, log_level="warning"
    )
    runtime = build_runtime(settings)
    connection = await nats.connect(nats_url)
    lags: list[float] = []

    async def on_breach(message: nats.aio.msg.Msg) -> None:
        breach = msgspec.json.decode(message.data, type=SlaBreached)
        lags.append((datetime.now(UTC) - breach.due_at).total_seconds())

    await runtime.start()
    subscription = await connection.subscribe(subjects.SLA_BREACHED, cb=on_breach)
    try:
        # The timers are armed ahead of their due times, as sync_timers arms them when a
        # ticket is created, and fall due one after another at `rate` per second.
        first_due = datetime.now(UTC) + timedelta(seconds=3)
        await copy_timers(database_url, coming_due, first_due, timedelta(seconds=1 / rate))

        async def all_arrived() -> bool:
            return len(lags) >= coming_due

        await wait_until(all_arrived, timeout=coming_due / rate + 60)
    finally:
        await subscription.unsubscribe()
        await connection.close()
        await runtime.stop()

    ordered = sorted(lags)
    print(
        f"breach lag, {coming_due} timers due at {rate:g}/s with {running:,} pending: "
        f"p50={ordered[len(ordered) // 2] * 1000:.0f} ms  "
        f"p99={ordered[int(len(ordered) * 0.99) - 1] * 1000:.0f} ms  "
        f"max={ordered[-1] * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=500, help="timers due per measured pass")
    parser.add_argument("--repeats", type=int, default=5, help="passes measured per size")
    parser.add_argument("--running", type=int, default=1_000_000, help="pending timers (lag)")
    parser.add_argument("--coming-due", type=int, default=3_000, help="timers due (lag)")
    parser.add_argument("--rate", type=float, default=100.0, help="timers due per second")
    arguments = parser.parse_args()
    # A log line per fired timer would dominate the pass being measured.
    configure_logging("bench", level="warning", json=False)

    with (
        tempfile.TemporaryDirectory() as folder,
        nats_server(Path(folder) / "nats") as nats_url,
        postgres_admin_url(Path(folder) / "postgres") as admin_url,
        fresh_database(admin_url) as database_url,
    ):
        asyncio.run(compare_pass_costs(database_url, arguments.due, arguments.repeats))
        asyncio.run(
            measure_lag(
                nats_url, database_url, arguments.running, arguments.coming_due, arguments.rate
            )
        )


if __name__ == "__main__":
    main()
