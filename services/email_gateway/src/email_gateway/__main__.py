"""Command line: `python -m email_gateway [serve|migrate|revision|settings]`."""

import sys

from email_gateway.app import create_app
from email_gateway.models import SCHEMA
from email_gateway.settings import GatewaySettings
from helpdesk_runtime.cli import run_service_command


def main() -> None:
    run_service_command(
        sys.argv[1:],
        name="email_gateway",
        settings_type=GatewaySettings,
        create_app=create_app,
        package="email_gateway",
        schema=SCHEMA,
    )


if __name__ == "__main__":
    main()
