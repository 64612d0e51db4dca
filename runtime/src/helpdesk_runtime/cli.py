"""The command line every service shares: `serve`, `migrate`, `revision`, `settings`.

A service may add its own commands beside these through `ServiceCommands`.
"""

import argparse
import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from alembic import command
from litestar import Litestar
from sqlalchemy import text

from helpdesk_runtime.database import create_engine
from helpdesk_runtime.logging import configure_logging
from helpdesk_runtime.migrations import alembic_config, upgrade_to_head
from helpdesk_runtime.service import serve_http
from helpdesk_runtime.settings import BaseSettings, describe_settings, load_settings

# The object `add_subparsers` returns; argparse names its class privately.
Subcommands = Any


@dataclass(frozen=True)
class ServiceCommands:
    """Commands a service adds to the shared ones.

    `add` declares them on the subcommand parser; `run` is awaited with the parsed
    arguments and the loaded settings when one of them is chosen.
    """

    add: Callable[[Subcommands], None]
    run: Callable[[argparse.Namespace, Any], Coroutine[Any, Any, None]]


def run_service_command(
    argv: Sequence[str],
    *,
    name: str,
    settings_type: type[BaseSettings],
    create_app: Callable[[Any], Litestar],
    package: str,
    schema: str,
    extra: ServiceCommands | None = None,
) -> None:
    """Parse `argv` and run the chosen command of the service `name`."""
    parser = argparse.ArgumentParser(prog=f"python -m {package}")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the service (the default)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    revision = commands.add_parser("revision", help="autogenerate a migration from the models")
    revision.add_argument("message", help="short description of the schema change")
    commands.add_parser("settings", help="list the environment variables the service reads")
    shared = set(commands.choices)
    if extra is not None:
        extra.add(commands)
    arguments = parser.parse_args(argv)

    if arguments.command == "settings":
        for variable, default, help_text in describe_settings(settings_type):
            print(f"{variable:40} default {default}\n    {help_text}")  # noqa: T201
        return

    settings = load_settings(settings_type)
    configure_logging(name, settings.log_level, settings.log_json)

    if extra is not None and arguments.command not in shared | {None}:
        asyncio.run(extra.run(arguments, settings))
    elif arguments.command == "migrate":
        asyncio.run(_migrate(settings.database_url, package, schema))
    elif arguments.command == "revision":
        asyncio.run(_revision(settings.database_url, package, schema, arguments.message))
    else:
        serve_http(create_app(settings), settings)


async def _migrate(database_url: str, package: str, schema: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    try:
        await upgrade_to_head(engine, package, schema)
    finally:
        await engine.dispose()


async def _revision(database_url: str, package: str, schema: str, message: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    config = alembic_config(package)
    try:
        await upgrade_to_head(engine, package, schema)
        async with engine.connect() as connection:
            await connection.execute(text(f'SET search_path TO "{schema}", public'))

            def generate(sync_connection: Any) -> None:
                config.attributes["connection"] = sync_connection
                command.revision(config, message=message, autogenerate=True)

            await connection.run_sync(generate)
    finally:
        await engine.dispose()
