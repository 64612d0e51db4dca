"""PostgreSQL choice, URL handling and the creation of the services' database."""

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from deploy.local_runner.database import (
    database_name,
    ensure_database,
    plain_url,
    postgres_problem,
    provide_postgres,
    with_database,
)
from helpdesk_runtime.local_servers import LocalPostgres, free_port, postgres_bin_dir


def unreachable_url() -> str:
    return f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"


def test_plain_url_drops_driver() -> None:
    assert plain_url("postgresql+asyncpg://u@h:5/db?ssl=x") == "postgresql://u@h:5/db?ssl=x"
    assert plain_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_with_database_keeps_options() -> None:
    url = "postgresql://user:secret@127.0.0.1:5432/postgres?sslmode=disable"

    assert with_database(url, "helpdesk") == (
        "postgresql://user:secret@127.0.0.1:5432/helpdesk?sslmode=disable"
    )


def test_database_name_of_url() -> None:
    assert database_name("postgresql://u@h:5432/tickets") == "tickets"
    assert database_name("postgresql://u@h:5432") == ""


async def test_reachable_url_has_no_problem(database_url: str) -> None:
    assert await postgres_problem(database_url) is None


async def test_unreachable_url_problem_explains() -> None:
    problem = await postgres_problem(unreachable_url(), timeout=1)

    assert problem is not None
    assert "Error" in problem


async def test_configured_server_is_used(database_url: str, tmp_path: Path) -> None:
    server = await provide_postgres(database_url, tmp_path / "postgres")

    assert server.url == database_url
    assert server.started_here is False


async def test_unreachable_configured_falls_back_to_conventional(
    postgres_admin: str, tmp_path: Path
) -> None:
    server = await provide_postgres(
        unreachable_url(), tmp_path / "postgres", conventional_url=postgres_admin
    )

    assert server.url == postgres_admin
    assert server.started_here is False


async def test_packaged_postgres_without_binaries(shared_data_dir: Path) -> None:
    server = await provide_postgres(
        unreachable_url(),
        shared_data_dir,
        conventional_url=unreachable_url(),
        find_binaries=lambda: None,
    )
    try:
        connection = await asyncpg.connect(plain_url(server.url))
        answer = await connection.fetchval("SELECT 40 + 2")
        await connection.close()
    finally:
        assert server.stop is not None
        await server.stop()

    assert answer == 42
    assert "pgserver" in server.description
    assert server.started_here is True


@pytest.fixture
def shared_data_dir() -> Iterator[Path]:
    # Run as root, LocalPostgres hands the folder to the postgres user, which must be able
    # to reach it. pytest's own temporary folders are private to their owner.
    parent = Path(tempfile.mkdtemp(prefix="helpdesk-runner-"))
    parent.chmod(0o755)
    try:
        yield parent / "postgres"
    finally:
        shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.skipif(postgres_bin_dir() is None, reason="initdb and pg_ctl are not installed")
async def test_nothing_reachable_starts_local_server(shared_data_dir: Path) -> None:
    port = free_port()

    server = await provide_postgres(
        None, shared_data_dir, conventional_url=unreachable_url(), preferred_port=port
    )
    try:
        assert server.started_here is True
        assert f":{port}/" in server.url
        assert await postgres_problem(server.url) is None
    finally:
        assert server.stop is not None
        await server.stop()

    assert await postgres_problem(server.url, timeout=1) is not None


@pytest.fixture
async def scratch_database_name(postgres_admin: str) -> AsyncIterator[str]:
    name = f"runner_test_{uuid.uuid4().hex[:10]}"
    yield name
    connection = await asyncpg.connect(plain_url(postgres_admin))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def test_maintenance_url_gets_database_created(
    postgres_admin: str, scratch_database_name: str
) -> None:
    first = await ensure_database(postgres_admin, scratch_database_name)
    second = await ensure_database(postgres_admin, scratch_database_name)

    assert first == with_database(postgres_admin, scratch_database_name)
    assert second == first
    assert await postgres_problem(first) is None


async def test_named_database_is_used_as_is(database_url: str) -> None:
    assert await ensure_database(database_url, "never_created") == database_url


async def test_missing_named_database_created(
    postgres_admin: str, scratch_database_name: str, tmp_path: Path
) -> None:
    configured = with_database(postgres_admin, scratch_database_name)

    server = await provide_postgres(
        configured, tmp_path / "postgres", conventional_url="postgresql://127.0.0.1:1/postgres"
    )
    prepared = await ensure_database(server.url)

    assert server.url == configured
    assert prepared == configured
    assert await postgres_problem(configured) is None


@pytest.mark.skipif(postgres_bin_dir() is None, reason="initdb and pg_ctl are not installed")
async def test_leftover_local_server_is_replaced(shared_data_dir: Path) -> None:
    leftover = LocalPostgres(shared_data_dir, port=free_port())
    leftover.start()
    new_port = free_port()

    try:
        server = await provide_postgres(
            None, shared_data_dir, conventional_url=unreachable_url(), preferred_port=new_port
        )
    finally:
        # Stops whichever server runs in the folder, so a failure leaves nothing behind.
        LocalPostgres(shared_data_dir).stop()

    assert f":{new_port}/" in server.url
    assert await postgres_problem(leftover.url, timeout=1) is not None
