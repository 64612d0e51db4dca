"""An API key for benchmarks that call the agent API, made with ticket_service's command line.

`agents add` fails harmlessly when the bench agent exists (a reused database); `keys
create` then prints a new key, alone on stdout.
"""

import os
import subprocess
import sys

BENCH_HANDLE = "bench.admin"


def bench_agent_key(database_url: str) -> str:
    """Return a new key of the bench admin agent in the database at `database_url`."""
    environment = {**os.environ, "HELPDESK_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "ticket_service"]
    agent = ["--name", "Bench", "--email", "bench@bench.test", "--admin"]
    subprocess.run(
        [*command, "agents", "add", BENCH_HANDLE, *agent],
        env=environment,
        capture_output=True,
        check=False,
    )
    created = subprocess.run(
        [*command, "keys", "create", BENCH_HANDLE, "--label", "bench"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return created.stdout.strip()


def bearer(key: str) -> dict[str, str]:
    """Return the Authorization header of an API key."""
    return {"Authorization": f"Bearer {key}"}
