"""Command-line management of agents and keys, so a fresh database gets its first admin.

`python -m ticket_service agents add <handle> --name N --email E [--admin]`,
`keys create <handle> [--label L]` (prints the key once, alone on stdout, so a script can
capture it) and `keys revoke <key id>`. Each command migrates the schema first.
"""

import argparse
import sys
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpdesk_runtime.cli import ServiceCommands
from helpdesk_runtime.database import create_engine, create_session_factory, unit_of_work
from helpdesk_runtime.migrations import upgrade_to_head
from ticket_service.agents import NewAgent, create_agent, get_agent
from ticket_service.api_keys import issue_key, revoke_key
from ticket_service.errors import TicketError
from ticket_service.models import SCHEMA
from ticket_service.roles import ADMIN_ROLE, AGENT_ROLE
from ticket_service.settings import TicketSettings
from ticket_service.tickets import utc_now


def add_agent_commands(commands: Any) -> None:
    """Declare `agents add`, `keys create` and `keys revoke` on the subcommand parser."""
    agents = commands.add_parser("agents", help="manage agents")
    agent_actions = agents.add_subparsers(dest="action", required=True)
    add = agent_actions.add_parser("add", help="create an active agent")
    add.add_argument("handle", help="lower-case letters, digits, '.', '-' or '_'")
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--email", required=True, help="email address")
    add.add_argument("--admin", action="store_true", help="give the agent the admin role")

    keys = commands.add_parser("keys", help="manage API keys")
    key_actions = keys.add_subparsers(dest="action", required=True)
    create = key_actions.add_parser("create", help="create a key and print it once")
    create.add_argument("handle", help="the agent the key belongs to")
    create.add_argument("--label", default="", help="where the key is used")
    revoke = key_actions.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("key_id", help="the key id, the part after hdk_")


async def run_agent_command(arguments: argparse.Namespace, settings: TicketSettings) -> None:
    """Run one agent or key command against the service's database."""
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        await upgrade_to_head(engine, "ticket_service", SCHEMA)
        async with unit_of_work(create_session_factory(engine)) as session:
            output = await _dispatch(session, arguments)
    except (TicketError, ValueError) as exc:
        raise SystemExit(f"error: {exc}") from exc
    finally:
        await engine.dispose()
    print(output)  # noqa: T201


async def _dispatch(session: AsyncSession, arguments: argparse.Namespace) -> str:
    now = utc_now()
    if arguments.command == "agents":
        new_agent = NewAgent(
            handle=arguments.handle,
            display_name=arguments.name,
            email=arguments.email,
            role=ADMIN_ROLE if arguments.admin else AGENT_ROLE,
        )
        agent = await create_agent(session, new_agent, now)
        return f"created {agent.role} {agent.handle}"

    if arguments.action == "create":
        agent = await get_agent(session, arguments.handle)
        if not agent.active:
            raise ValueError(f"agent {agent.handle!r} is inactive")
        issued = await issue_key(session, agent, arguments.label, now)
        print(  # noqa: T201
            f"API key {issued.record.key_id} for {agent.handle}; it is shown only now:",
            file=sys.stderr,
        )
        return issued.key

    key = await revoke_key(session, arguments.key_id, now)
    return f"revoked {key.key_id}"


AGENT_COMMANDS = ServiceCommands(add=add_agent_commands, run=run_agent_command)
