"""PostgreSQL for the services: a reachable server, else one started in the data folder.

The order is the server in HELPDESK_DATABASE_URL or DATABASE_URL, the conventional local
server, a cluster started from local binaries, then the PostgreSQL that the pgserver
package ships in its wheel, for machines with no PostgreSQL installed at all. The services
then share one database (each in its own schema): the one the URL names, created when
the server has no such database yet, or `helpdesk` when the URL names a maintenance
database such as `postgres`.
"""

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from deploy.local_runner.output import say
from deploy.local_runner.ports import preferred_or_free
from deploy.local_runner.servers import ProvidedServer, StartupError
from helpdesk_runtime.local_servers import LocalPostgres, ServerStartError, postgres_bin_dir

CONVENTIONAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_LOCAL_PORT = 5433
HELPDESK_DATABASE = "helpdesk"
MAINTENANCE_DATABASES = frozenset({"", "postgres", "template1"})

INSTALL_HINT = (
    "Install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`, Fedora: "
    "`dnf install postgresql-server`, macOS: `brew install postgresql@16`) so that initdb "
    "and pg_ctl are on PATH, or set DATABASE_URL to a reachable server."
)


def plain_url(url: str) -> str:
    """Return `url` with the scheme asyncpg accepts (SQLAlchemy's +asyncpg suffix removed)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    return urlunsplit(parts._replace(scheme=scheme))


def database_name(url: str) -> str:
    """Return the database named by the path of `url` ("" when it names none)."""
    return urlsplit(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    """Return `url` pointing at database `name`, keeping user, host and query options."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def postgres_problem(url: str, timeout: float = 3.0) -> str | None:
    """Return why `url` cannot be connected to, or None when it can."""
    try:
        connection = await asyncpg.connect(plain_url(url), timeout=timeout)
    except (
        OSError,
        TimeoutError,
        ValueError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
    ) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    await connection.close()
    return None


async def provide_postgres(
    configured_url: str | None,
    data_dir: Path,
    *,
    conventional_url: str = CONVENTIONAL_URL,
    find_binaries: Callable[[], Path | None] = postgres_bin_dir,
    preferred_port: int = DEFAULT_LOCAL_PORT,
) -> ProvidedServer:
    """Return the first usable PostgreSQL server, starting one in `data_dir` as the last resort."""
    if configured_url is not None:
        problem = await postgres_problem(configured_url)
        if problem is None:
            return ProvidedServer(configured_url, "from DATABASE_URL")
        # The server accepts connections but lacks the named database, which
        # `ensure_database` creates.
        # Falling back to another server would put the data where the user did not ask.
        if await _server_reachable(configured_url):
            return ProvidedServer(configured_url, "from DATABASE_URL")
        say(f"DATABASE_URL is unreachable ({problem}); trying {conventional_url}")

    if await postgres_problem(conventional_url) is None:
        return ProvidedServer(conventional_url, "the local server on its conventional port")

    if find_binaries() is None:
        return await start_packaged_postgres(data_dir.with_name(f"{data_dir.name}-pgserver"))
    return await _start_local_postgres(data_dir, preferred_port)


async def start_packaged_postgres(data_dir: Path) -> ProvidedServer:
    """Start the PostgreSQL of the pgserver package, listening on a socket in `data_dir`."""
    try:
        from pgserver.postgres_server import get_server
    except ImportError as exc:
        raise StartupError(
            f"no PostgreSQL server is reachable and none can be started. {INSTALL_HINT}"
        ) from exc

    try:
        server = await asyncio.to_thread(get_server, data_dir, cleanup_mode="stop")
    except Exception as exc:
        # pgserver reports failures of initdb and pg_ctl as plain exceptions.
        raise StartupError(f"could not start pgserver's PostgreSQL in {data_dir}: {exc}") from exc

    async def stop() -> None:
        await asyncio.to_thread(server.cleanup)

    url: str = server.get_uri()
    return ProvidedServer(url, f"started from the pgserver package, data in {data_dir}", stop)


async def _start_local_postgres(data_dir: Path, preferred_port: int) -> ProvidedServer:
    if (data_dir / "postmaster.pid").exists():
        # The folder belongs to the runner, so a server still running in it is left over
        # from a runner that was killed. That server holds the lock a new start needs.
        say(f"stopping a PostgreSQL left running in {data_dir}")
        await asyncio.to_thread(LocalPostgres(data_dir).stop)

    server = LocalPostgres(data_dir, port=preferred_or_free(preferred_port))
    try:
        await asyncio.to_thread(server.start)
    except ServerStartError as exc:
        raise StartupError(f"could not start PostgreSQL: {exc}. {INSTALL_HINT}") from exc
    except subprocess.CalledProcessError as exc:
        output = exc.stderr.decode(errors="replace").strip() if exc.stderr else ""
        raise StartupError(
            f"could not start PostgreSQL in {data_dir}: {exc}\n{output}\n"
            f"Its log is {data_dir / 'postgres.log'}"
        ) from exc
    except (OSError, LookupError) as exc:
        # LookupError: running as root needs the postgres user that PostgreSQL packages create.
        raise StartupError(f"could not start PostgreSQL in {data_dir}: {exc}") from exc

    async def stop() -> None:
        await asyncio.to_thread(server.stop)

    return ProvidedServer(server.url, f"started from local binaries, data in {data_dir}", stop)


async def _server_reachable(url: str) -> bool:
    """Return whether the server of `url` accepts connections to its `postgres` database."""
    return await postgres_problem(with_database(url, "postgres")) is None


async def ensure_database(server_url: str, name: str = HELPDESK_DATABASE) -> str:
    """Return the URL the services get, creating its database when it is missing.

    A URL naming a maintenance database (or none) is pointed at `name`. A URL naming any
    other database keeps it. Either database is created when the server lacks it.
    """
    if database_name(server_url) not in MAINTENANCE_DATABASES:
        # A role may be allowed into its own database only, so an existing one is used
        # without a look at the maintenance database.
        if await postgres_problem(server_url) is None:
            return server_url
        name = database_name(server_url)
        maintenance_url = with_database(server_url, "postgres")
    else:
        maintenance_url = server_url

    try:
        connection = await asyncpg.connect(plain_url(maintenance_url), timeout=10)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StartupError(f"could not connect to {server_url}: {exc}") from exc
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await _create_database(connection, name)
    finally:
        await connection.close()
    return with_database(server_url, name)


async def _create_database(connection: asyncpg.Connection, name: str) -> None:
    quoted = '"' + name.replace('"', '""') + '"'
    try:
        await connection.execute(f"CREATE DATABASE {quoted}")
    except asyncpg.DuplicateDatabaseError:
        # Another runner created it between the check and the CREATE.
        return
    except asyncpg.PostgresError as exc:
        raise StartupError(
            f"could not create database {name!r}: {exc}. Create it yourself, or point "
            "DATABASE_URL at an existing database"
        ) from exc
    say(f"created database {name}")
