"""Command line: `python -m portal_api [serve|migrate|settings]`."""

import sys

from helpdesk_runtime.cli import run_service_command
from portal_api.app import create_app
from portal_api.models import SCHEMA
from portal_api.settings import PortalSettings


def main() -> None:
    run_service_command(
        sys.argv[1:],
        name="portal_api",
        settings_type=PortalSettings,
        create_app=create_app,
        package="portal_api",
        schema=SCHEMA,
    )


if __name__ == "__main__":
    main()
