"""Command line: `python -m ticket_service [serve|migrate|revision|settings|agents|keys]`."""

import sys

from helpdesk_runtime.cli import run_service_command
from ticket_service.agent_commands import AGENT_COMMANDS
from ticket_service.app import create_app
from ticket_service.models import SCHEMA
from ticket_service.settings import TicketSettings


def main() -> None:
    run_service_command(
        sys.argv[1:],
        name="ticket_service",
        settings_type=TicketSettings,
        create_app=create_app,
        package="ticket_service",
        schema=SCHEMA,
        extra=AGENT_COMMANDS,
    )


if __name__ == "__main__":
    main()
