"""Run the whole help desk on this machine: `uv run python deploy/run.py` (what `make run` does).

deploy/README.md lists what it starts and every environment variable it reads.
"""

import asyncio
import io
import logging
import os
import sys
from pathlib import Path

# `python deploy/run.py` puts only deploy/ on sys.path; the repository root makes the
# runner importable as `deploy.local_runner`, the name the tests use too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deploy.local_runner.config import ConfigError, read_config
from deploy.local_runner.stack import LocalStack
from helpdesk_runtime.logging import configure_logging


def main() -> int:
    """Run the stack until Ctrl-C or SIGTERM; return the process exit code."""
    # The banner and child lines must appear at once even when stdout is a pipe.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    configure_logging("runner", "info", json=False)
    # One line per readiness poll would bury the services' own output.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    try:
        config = read_config(os.environ)
    except ConfigError as exc:
        print(f"[runner] {exc}", file=sys.stderr)
        return 2

    return asyncio.run(LocalStack(config, os.environ).run())


if __name__ == "__main__":
    sys.exit(main())
