"""Command line: `python -m sla_service [serve|migrate|revision|settings]`."""

import sys

from helpdesk_runtime.cli import run_service_command
from sla_service.app import create_app
from sla_service.models import SCHEMA
from sla_service.settings import SlaSettings


def main() -> None:
    run_service_command(
        sys.argv[1:],
        name="sla_service",
        settings_type=SlaSettings,
        create_app=create_app,
        package="sla_service",
        schema=SCHEMA,
    )


if __name__ == "__main__":
    main()
