"""Command line: `python -m customer_service [serve|migrate]`."""

import sys

from customer_service.app import create_app
from customer_service.models import SCHEMA
from customer_service.settings import CustomerSettings
from helpdesk_runtime.cli import run_service_command


def main() -> None:
    run_service_command(
        sys.argv[1:],
        name="customer_service",
        settings_type=CustomerSettings,
        create_app=create_app,
        package="customer_service",
        schema=SCHEMA,
    )


if __name__ == "__main__":
    main()
