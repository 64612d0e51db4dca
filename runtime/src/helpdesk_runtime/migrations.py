"""Alembic migrations per service schema, applied at start-up or by a command.

Each service keeps its migrations in a `migrations` folder inside its package, with an
`env.py` that calls `run_alembic_env`. `upgrade_to_head` applies them under a PostgreSQL
advisory lock, so replicas starting together migrate once and the others wait.
"""

import zlib
from importlib import resources
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, create_engine, pool, text
from sqlalchemy.ext.asyncio import AsyncEngine

from helpdesk_runtime.logging import get_logger

log = get_logger(__name__)


def alembic_config(package: str, database_url: str | None = None) -> Config:
    """Build the Alembic configuration of the service in `package`."""
    config = Config()
    config.set_main_option("script_location", str(resources.files(package) / "migrations"))
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", database_url)
    return config


def _advisory_lock_key(schema: str) -> int:
    # A stable 31-bit key per schema, so different services do not wait on each other.
    return zlib.crc32(f"helpdesk-migrations:{schema}".encode()) & 0x7FFFFFFF


async def upgrade_to_head(engine: AsyncEngine, package: str, schema: str) -> None:
    """Create `schema` if needed and apply every migration of `package` to head."""
    config = alembic_config(package)
    lock_key = _advisory_lock_key(schema)

    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock_key})
        try:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await connection.commit()
            await connection.run_sync(_upgrade, config)
            await connection.commit()
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": lock_key})
            await connection.commit()

    log.info("migrations applied", schema=schema, package=package)


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def run_alembic_env(target_metadata: MetaData, schema: str) -> None:
    """Run migrations from a service's `env.py`, online on the connection passed in.

    Called without a connection (the `alembic` command line), it connects to the
    `sqlalchemy.url` of the configuration with a synchronous driver.
    """
    config = context.config
    connection: Connection | None = config.attributes.get("connection")
    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        "version_table_schema": schema,
        "include_schemas": True,
        "include_name": _only_schema(schema),
    }

    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("Set sqlalchemy.url or pass a connection to run migrations.")
    engine = create_engine(url.replace("+asyncpg", ""), poolclass=pool.NullPool)
    with engine.connect() as sync_connection:
        context.configure(connection=sync_connection, **options)
        with context.begin_transaction():
            context.run_migrations()


def _only_schema(schema: str) -> Any:
    def include_name(name: str | None, type_: str, _parent: object) -> bool:
        if type_ == "schema":
            return name == schema
        return True

    return include_name
